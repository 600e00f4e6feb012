// Writes every generated file from its one source: crds/*.yaml and the chart's CRD templates from the zod schemas in
// src/api, and charts/scim-operator/values.schema.json from src/chart/values-schema.ts.
// `--check` writes nothing and exits 1 when a file is stale, for CI.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../src/chart/generated-files.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, content] of Object.entries(generatedFiles())) {
  const target = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === content) continue;
  stale++;
  if (check) console.error(`${file} is stale: run npm run generate`);
  else await writeFile(target, content);
}
if (check && stale > 0) process.exit(1);
