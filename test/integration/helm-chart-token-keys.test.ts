import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, controlPlane, uniqueName } from '../support/cluster.ts';
import { chartDir, helm } from '../support/helm.ts';

/**
 * Every key of the token Secret is a token (docs/token-rotation.md). The NOTES and the helm test pod must work with
 * whatever keys the Secret has: after rotation step 4 the key named after the connection is gone, and a Secret of
 * token.existingSecret may name its keys otherwise.
 */
const run = promisify(execFile);
const release = uniqueName('keys');
const namespace = uniqueName('keys-ns');
const generated = `${release}-scim-operator-tokens`;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'scim-token-keys-'));
  // The CRDs belong to the test setup (and to helm-chart.test.ts's release); this release leaves them alone.
  const args = ['-n', namespace, '--set', 'crds.install=false', '--set', 'replicaCount=1'];
  await helm(['install', release, chartDir, '--create-namespace', ...args]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The `kubectl get secret` commands the release's NOTES print, in order. */
async function notesCommands(): Promise<string[]> {
  const notes = (await helm(['get', 'notes', release, '-n', namespace])).stdout;
  return notes
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('kubectl get secret'));
}

/** Runs a command as a user would: the control plane's kubectl on the PATH, its admin kubeconfig. */
async function shell(command: string): Promise<string> {
  const env = {
    ...process.env,
    PATH: `${controlPlane().binDir}:${process.env.PATH}`,
    KUBECONFIG: controlPlane().adminKubeconfig,
  };
  return (await run('sh', ['-c', command], { env })).stdout;
}

/**
 * Runs the helm test pod's script against a Secret volume holding `keys` (a file per key, as Kubernetes mounts
 * it), with a curl that records its arguments; returns those arguments.
 */
async function testPodCurl(values: string[], keys: Record<string, string>): Promise<string[]> {
  const rendered = (await helm(['template', release, chartDir, '-n', namespace, ...values])).stdout;
  const pod = (loadAll(rendered) as { kind: string; spec: { containers: PodContainer[] } }[]).find(
    (d) => d?.kind === 'Pod',
  );
  const container = pod!.spec.containers[0]!;
  const dir = await mkdtemp(path.join(work, 'pod-'));
  const tokens = path.join(dir, 'tokens');
  const bin = path.join(dir, 'bin');
  await mkdir(tokens);
  await mkdir(bin);
  for (const [key, value] of Object.entries(keys)) await writeFile(path.join(tokens, key), value);
  await mkdir(path.join(tokens, '..data')); // what the kubelet adds beside the keys; never a token
  await writeFile(
    path.join(bin, 'curl'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(path.join(dir, 'args'))}\n`,
  );
  await chmod(path.join(bin, 'curl'), 0o755);
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
  await run(container.command[0]!, [...container.command.slice(1), ...container.args], {
    env: { ...env, TOKEN_DIR: tokens, PATH: `${bin}:${process.env.PATH}` },
  });
  return (await readFile(path.join(dir, 'args'), 'utf8')).trimEnd().split('\n');
}
type PodContainer = { command: string[]; args: string[]; env: { name: string; value: string }[] };

const decoded = (data: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

describe('the NOTES and the helm test pod, with any key of the token Secret', () => {
  const core = () => adminKubeConfig().makeApiClient(CoreV1Api);

  it('print and use the generated token, and after rotation step 4 the new key that replaced it', async () => {
    const [list, print] = await notesCommands();
    expect(list).toContain(`-n ${namespace} ${generated}`);
    const first = decoded((await core().readNamespacedSecret({ name: generated, namespace })).data);
    expect(Object.keys(first)).toEqual(['entra']);
    expect(await shell(list!)).toBe('entra\n');
    expect(await shell(print!)).toBe(`${first.entra}\n`);
    expect(await testPodCurl([], first)).toContain(`Authorization: Bearer ${first.entra}`);

    // docs/token-rotation.md, steps 1 and 4.
    await core().patchNamespacedSecret(
      { name: generated, namespace, body: { stringData: { 'entra.2026-11': 'the-new-token' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core().patchNamespacedSecret(
      { name: generated, namespace, body: [{ op: 'remove', path: '/data/entra' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const rotated = decoded((await core().readNamespacedSecret({ name: generated, namespace })).data);
    expect(rotated).toEqual({ 'entra.2026-11': 'the-new-token' });
    expect(await shell(list!)).toBe('entra.2026-11\n');
    expect(await shell(print!)).toBe('the-new-token\n');
    const curl = await testPodCurl([], rotated);
    expect(curl).toContain('Authorization: Bearer the-new-token');
    expect(curl.at(-1)).toBe(`http://${release}-scim-operator.${namespace}.svc:80/scim/v2/ServiceProviderConfig`);
  });

  it("prefer the connection's own keys in the test pod, and fail it when the Secret has no key", async () => {
    const keys = { 'a-first': 'other', 'entra.2026-11': 'rotated', okta: 'okta' };
    expect(await testPodCurl([], keys)).toContain('Authorization: Bearer rotated');
    expect(await testPodCurl([], { entra: 'current', ...keys })).toContain('Authorization: Bearer current');
    await expect(testPodCurl([], {})).rejects.toThrow('the token Secret has no keys');
  });

  it('read a Secret of token.existingSecret whose key is not named after the connection', async () => {
    const existing = uniqueName('idp-tokens');
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: existing }, stringData: { 'okta-prod': 'the-okta-token' } },
    });
    const values = ['--set', `token.existingSecret=${existing}`, '--set', 'crds.install=false'];
    await helm(['upgrade', release, chartDir, '-n', namespace, '--set', 'replicaCount=1', ...values]);
    const [list, print] = await notesCommands();
    expect(list).toContain(`-n ${namespace} ${existing}`);
    expect(await shell(list!)).toBe('okta-prod\n');
    expect(await shell(print!)).toBe('the-okta-token\n');
    expect(await testPodCurl(values, { 'okta-prod': 'the-okta-token' })).toContain(
      'Authorization: Bearer the-okta-token',
    );
    const pod = (
      loadAll((await helm(['template', release, chartDir, '-n', namespace, ...values])).stdout) as {
        kind: string;
        spec: { volumes: { secret?: { secretName: string } }[] };
      }[]
    ).find((d) => d?.kind === 'Pod');
    expect(pod?.spec.volumes[0]?.secret?.secretName).toBe(existing);
  });
});
