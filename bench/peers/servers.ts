/**
 * Starts a seeded peer SCIM server as its own process on a free loopback port and waits until it answers.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureScim2Server, ensureScimmy } from './install.ts';

export interface PeerServer {
  name: string;
  baseUrl: string;
  token: string;
  stop(): Promise<void>;
}

export const PEERS = ['SCIMMY', 'scim2-server'] as const;
export type PeerName = (typeof PEERS)[number];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPeer(name: PeerName, seedUsers: number): Promise<PeerServer> {
  const port = await freePort();
  const token = randomBytes(24).toString('base64url');
  let child: ChildProcess;
  let baseUrl: string;
  const env = { ...process.env, SEED_USERS: String(seedUsers), PORT: String(port), TOKEN: token };
  if (name === 'SCIMMY') {
    const dir = await ensureScimmy();
    const file = fileURLToPath(new URL('./scimmy-server.ts', import.meta.url));
    child = spawn(process.execPath, [file], { env: { ...env, SCIMMY_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
    baseUrl = `http://127.0.0.1:${port}/scim`;
  } else {
    const python = await ensureScim2Server();
    const file = fileURLToPath(new URL('./scim2-seeded-server.py', import.meta.url));
    child = spawn(python, [file, '--hostname', '127.0.0.1', '--port', String(port), `--bearer-token=${token}`], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    baseUrl = `http://127.0.0.1:${port}/v2`;
  }
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  // Seeding 100,000 users in-process takes a while, in Python most of all.
  const deadline = Date.now() + 600_000;
  for (;;) {
    const status = await fetch(`${baseUrl}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${token}` } })
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name, baseUrl, token, stop };
}
