import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ensurePythonTools } from './python-tools.ts';

/** scim2-server (PyPI), in memory, on a free loopback port, accepting the given bearer tokens. */
export interface Scim2Server {
  /** Base URL of the SCIM API: `http://127.0.0.1:<port>/v2`. */
  url: string;
  /** Calls it directly, as an administrator of the app would. */
  // biome-ignore lint/suspicious/noExplicitAny: SCIM replies are arbitrary JSON that tests read freely
  request(method: string, pathName: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `hostname`: loopback by default; the local node's suite passes its bridge address so that pods reach it. */
export async function startScim2Server(tokens: string[], hostname = '127.0.0.1'): Promise<Scim2Server> {
  const bin = await ensurePythonTools();
  const port = await freePort();
  const args = ['--hostname', hostname, '--port', String(port), ...tokens.flatMap((t) => ['--bearer-token', t])];
  const child: ChildProcess = spawn(path.join(bin, 'scim2-server'), args, { stdio: 'ignore' });
  const url = `http://${hostname}:${port}/v2`;
  const request = async (method: string, pathName: string, body?: unknown) => {
    const res = await fetch(`${url}${pathName}`, {
      method,
      headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await request('GET', '/ServiceProviderConfig').catch(() => ({ status: 0 }))).status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('scim2-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    request,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
