/**
 * Installs the peer SCIM servers the benchmark compares with, outside the repository and never through `npm ci`:
 * SCIMMY with scimmy-routers on express (npm, pinned) into ~/.cache/scim-operator/bench-peers/scimmy-<versions>, and
 * scim2-server (PyPI, pinned in test/python-requirements.txt) through scripts/python-tools.sh's virtualenv.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonTools } from '../../test/support/python-tools.ts';

/** Exact versions: a peer's speed is only comparable across runs at the same version. */
export const SCIMMY_PACKAGES = ['scimmy@1.3.5', 'scimmy-routers@1.3.2', 'express@5.3.0'];

const cacheRoot = () =>
  path.join(
    process.env.SCIM_OPERATOR_CACHE ??
      path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'scim-operator'),
    'bench-peers',
  );

/** The directory whose node_modules holds SCIMMY, scimmy-routers and express; installed on first use. */
export async function ensureScimmy(): Promise<string> {
  const dir = path.join(cacheRoot(), `scimmy-${SCIMMY_PACKAGES.join('-').replace(/[@/]/g, '_')}`);
  const marker = path.join(dir, '.installed');
  if (existsSync(marker)) return dir;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), '{"private":true,"type":"module"}\n');
  await promisify(execFile)(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...SCIMMY_PACKAGES],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  await writeFile(marker, `${SCIMMY_PACKAGES.join('\n')}\n`);
  return dir;
}

/** The virtualenv's Python, which has scim2-server installed. */
export async function ensureScim2Server(): Promise<string> {
  return path.join(await ensurePythonTools(), 'python');
}
