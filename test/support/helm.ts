import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { controlPlane } from './cluster.ts';

const run = promisify(execFile);
export const chartDir = path.resolve(import.meta.dirname, '../../charts/scim-operator');

/** Runs the control plane's own helm (built with the other binaries) against the test API server. */
export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const bin = path.join(controlPlane().binDir, 'helm');
  try {
    return await run(bin, [...args, `--kubeconfig=${controlPlane().adminKubeconfig}`], {
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: '/tmp/scim-operator-helm/cache',
        HELM_CONFIG_HOME: '/tmp/scim-operator-helm/config',
        HELM_DATA_HOME: '/tmp/scim-operator-helm/data',
      },
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args[0]} failed: ${e.stderr || e.stdout || e.message}`);
  }
}
