import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('../../scripts/python-tools.sh', import.meta.url));

let installed: Promise<string> | undefined;

/**
 * The bin directory of the virtualenv holding the pinned Python test tools (`scim`, `scim2-server`, `schemathesis`),
 * installed by scripts/python-tools.sh on first use. The script runs once per process; it is a no-op when its cache
 * is warm and locks against parallel runs, so test files in other workers may call this too.
 */
export function ensurePythonTools(): Promise<string> {
  installed ??= install();
  return installed;
}

async function install(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('bash', [SCRIPT], { maxBuffer: 16 * 1024 * 1024 });
    const binDir = stdout.trim().split('\n').at(-1);
    if (!binDir) throw new Error('scripts/python-tools.sh printed no bin directory');
    return binDir;
  } catch (err) {
    installed = undefined;
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`installing the Python test tools failed${stderr ? `:\n${stderr}` : ''}`, { cause: err });
  }
}
