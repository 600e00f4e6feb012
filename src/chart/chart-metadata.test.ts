import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { crds } from '../api/crds.ts';

const chartFile = (name: string) => fileURLToPath(new URL(`../../charts/scim-operator/${name}`, import.meta.url));
const chart = load(readFileSync(chartFile('Chart.yaml'), 'utf8')) as {
  appVersion: string;
  sources: string[];
  icon: string;
  annotations: Record<string, string>;
};
const values = load(readFileSync(chartFile('values.yaml'), 'utf8')) as {
  image: { repository: string };
  tests: { image: { repository: string; tag: string } };
};
const annotation = <T>(name: string) => load(chart.annotations[`artifacthub.io/${name}`] ?? '') as T;

describe('the Artifact Hub metadata of Chart.yaml', () => {
  it('lists every CRD the chart installs, by kind, version and name', () => {
    const listed = annotation<{ kind: string; version: string; name: string; description: string }[]>('crds');
    const expected = Object.values(crds).map((crd) => ({
      kind: crd.spec.names.kind,
      version: crd.spec.versions.find((v) => v.storage)?.name,
      name: crd.metadata?.name,
    }));
    expect(listed.map(({ kind, version, name }) => ({ kind, version, name }))).toEqual(
      expect.arrayContaining(expected),
    );
    expect(listed).toHaveLength(expected.length);
    for (const crd of listed) expect(crd.description).not.toBe('');
  });

  it('lists the images the default values run: the operator at appVersion and the helm test image', () => {
    const images = annotation<{ name: string; image: string }[]>('images').map((i) => i.image);
    expect(images).toEqual([
      `${values.image.repository}:${chart.appVersion}`,
      `${values.tests.image.repository}:${values.tests.image.tag}`,
    ]);
  });

  it("carries the project's license, sources, an icon and a change log of known kinds", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { license: string };
    expect(chart.annotations['artifacthub.io/license']).toBe(pkg.license);
    expect(chart.sources.length).toBeGreaterThan(0);
    expect(chart.icon).toMatch(/^https:\/\//);
    const changes = annotation<{ kind: string; description: string }[]>('changes');
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) {
      expect(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']).toContain(change.kind);
      expect(change.description.length).toBeGreaterThan(0);
    }
  });
});
