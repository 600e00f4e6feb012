import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = fileURLToPath(new URL('../../../scripts/', import.meta.url));
export const teardownScript = path.join(scripts, 'local-node-teardown.sh');

/** Runs a script of scripts/ with progress on stderr and returns its stdout lines. */
function runScript(name: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(scripts, name), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`scripts/${name} failed (exit ${code})`)),
    );
  });
}

export interface NodeBinaries {
  kubelet: string;
  kubeScheduler: string;
  kubeProxy: string;
  pause: string;
}

/**
 * kubelet, kube-scheduler, kube-proxy and pause from the versioned cache (scripts/build-node.sh builds them once),
 * after installing the Debian packages the node needs when missing (scripts/install-node-packages.sh).
 */
export async function ensureNodeBinaries(): Promise<NodeBinaries> {
  await runScript('install-node-packages.sh', []);
  const dir = (await runScript('build-node.sh', [])).at(-1) ?? '';
  return {
    kubelet: path.join(dir, 'kubelet'),
    kubeScheduler: path.join(dir, 'kube-scheduler'),
    kubeProxy: path.join(dir, 'kube-proxy'),
    pause: path.join(dir, 'pause'),
  };
}

export interface NodeImages {
  /** docker-archive files to import into containerd. */
  archives: string[];
  operator: { repository: string; tag: string };
  curl: { repository: string; tag: string };
  pause: string;
}

/** The operator image from the Dockerfile, the `helm test` image and the sandbox image (scripts/build-images.sh). */
export async function ensureNodeImages(pauseBinary: string, operatorTag?: string): Promise<NodeImages> {
  const lines = await runScript('build-images.sh', operatorTag ? [pauseBinary, operatorTag] : [pauseBinary]);
  const value = (key: string) => {
    const line = lines.find((l) => l.startsWith(`${key}=`));
    if (!line) throw new Error(`scripts/build-images.sh printed no ${key}`);
    return line.slice(key.length + 1);
  };
  return {
    archives: [value('pause'), value('curl'), value('scim-operator')],
    operator: { repository: 'localhost/scim-operator/scim-operator', tag: value('operator-tag') },
    curl: { repository: 'localhost/scim-operator/curl', tag: '1' },
    pause: 'localhost/scim-operator/pause:1',
  };
}
