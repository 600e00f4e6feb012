import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute paths of the control-plane executables. */
export interface ControlPlaneBinaries {
  kubeApiserver: string;
  kubeControllerManager: string;
  etcd: string;
  kubectl: string;
  helm: string;
}

const buildScript = fileURLToPath(new URL('../../scripts/build-control-plane.sh', import.meta.url));

/**
 * Finds the binaries, building them on first use. `KUBEBUILDER_ASSETS` (a folder holding all of them) or the
 * `TEST_ASSET_*` variables envtest uses take precedence; otherwise scripts/build-control-plane.sh builds them from
 * the Go module proxy into a versioned cache outside the repository (a no-op when warm), with its progress on stderr.
 */
export async function ensureBinaries(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlaneBinaries> {
  const dir = env.KUBEBUILDER_ASSETS ?? (await runBuildScript(env));
  const binaries: ControlPlaneBinaries = {
    kubeApiserver: env.TEST_ASSET_KUBE_APISERVER ?? path.join(dir, 'kube-apiserver'),
    kubeControllerManager: env.TEST_ASSET_KUBE_CONTROLLER_MANAGER ?? path.join(dir, 'kube-controller-manager'),
    etcd: env.TEST_ASSET_ETCD ?? path.join(dir, 'etcd'),
    kubectl: env.TEST_ASSET_KUBECTL ?? path.join(dir, 'kubectl'),
    helm: env.TEST_ASSET_HELM ?? path.join(dir, 'helm'),
  };
  for (const file of Object.values(binaries)) await access(file);
  return binaries;
}

function runBuildScript(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [buildScript], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const dir = out.trim().split('\n').at(-1);
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`building the control plane failed (exit ${code}); see the output above`));
    });
  });
}
