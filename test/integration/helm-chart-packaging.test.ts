import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartDir, helm } from '../support/helm.ts';

const run = promisify(execFile);
const helmDocs = path.resolve(import.meta.dirname, '../../scripts/helm-docs.sh');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'scim-chart-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Regenerates the README of a copy of the chart with the pinned helm-docs; returns the copy's directory. */
async function regenerated(name: string, change?: (chart: string) => Promise<void>): Promise<string> {
  const copy = path.join(work, name, 'scim-operator');
  await cp(chartDir, copy, { recursive: true });
  await change?.(copy);
  await run('bash', [helmDocs, copy], { timeout: 900_000 });
  return copy;
}

describe('the chart README', () => {
  it('is what helm-docs generates from README.md.gotmpl and values.yaml (run scripts/helm-docs.sh when this fails)', async () => {
    const copy = await regenerated('current');
    const committed = await readFile(path.join(chartDir, 'README.md'), 'utf8');
    expect(await readFile(path.join(copy, 'README.md'), 'utf8')).toBe(committed);
    expect(committed).toContain('| image.digest | string |');
  }, 900_000);

  it('changes when a value comment changes, so a stale README is caught', async () => {
    const copy = await regenerated('changed', async (chart) => {
      const values = path.join(chart, 'values.yaml');
      const text = await readFile(values, 'utf8');
      await writeFile(values, text.replace('# -- Operator replicas.', '# -- How many operator replicas run.'));
    });
    const readme = await readFile(path.join(copy, 'README.md'), 'utf8');
    expect(readme).toContain('| replicaCount | int | `2` | How many operator replicas run.');
    expect(readme).not.toBe(await readFile(path.join(chartDir, 'README.md'), 'utf8'));
  }, 900_000);
});

describe('the packaged chart', () => {
  it('passes helm lint --strict, carries its README and schema, and leaves the README template out', async () => {
    const out = path.join(work, 'package');
    const { stdout } = await helm(['package', chartDir, '--destination', out]);
    const archive = path.join(out, 'scim-operator-0.1.0.tgz');
    expect(stdout).toContain(archive);
    await helm(['lint', archive, '--strict']);
    await helm(['lint', archive, '--strict', '-f', path.join(chartDir, 'ci/all-on-values.yaml')]);
    const files = (await run('tar', ['-tzf', archive])).stdout.split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'scim-operator/README.md',
        'scim-operator/values.schema.json',
        'scim-operator/dashboards/scim-operator.json',
        'scim-operator/templates/tests/test-connection.yaml',
      ]),
    );
    expect(files).not.toContain('scim-operator/README.md.gotmpl');
    const metadata = (await helm(['show', 'chart', archive])).stdout;
    expect(metadata).toContain('artifacthub.io/crds');
    expect(metadata).toContain('artifacthub.io/images');
  });
});
