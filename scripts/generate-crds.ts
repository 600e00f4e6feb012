// Writes crds/*.yaml from the zod schemas in src/api. `--check` exits 1 when a file is stale, for CI.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { crds, renderCrd } from '../src/api/crds.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, crd] of Object.entries(crds)) {
  const target = fileURLToPath(new URL(`../crds/${file}`, import.meta.url));
  const rendered = renderCrd(crd);
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === rendered) continue;
  stale++;
  if (check) console.error(`crds/${file} is stale: run npm run generate`);
  else await writeFile(target, rendered);
}
if (check && stale > 0) process.exit(1);
