import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alertNames } from './chart/values-schema.ts';

/**
 * Every relative link in the documentation resolves: the file or folder it names exists in the repository, and a
 * `#fragment` names a heading of the target Markdown file by GitHub's anchor rules. Links with a scheme (https:,
 * mailto:) are not followed: that would need the network. Links and headings inside code are not links.
 */
const root = fileURLToPath(new URL('../', import.meta.url));

function markdownUnder(dir: string, recursive: boolean): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return recursive ? markdownUnder(rel, true) : [];
    return entry.name.endsWith('.md') ? [rel] : [];
  });
}

const documents = [
  'README.md',
  ...markdownUnder('docs', true),
  ...markdownUnder('examples', true),
  ...markdownUnder('charts/scim-operator', false),
].sort();

/** Blanks fenced code blocks (keeping line numbers), so that nothing inside them counts as a heading or a link. */
function withoutFences(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined && marker) {
        fence = marker;
        return '';
      }
      if (fence !== undefined) {
        const closes = marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length;
        if (closes && line.trim() === marker) fence = undefined;
        return '';
      }
      return line;
    })
    .join('\n');
}

const withoutInlineCode = (text: string) => text.replace(/(`+)[\s\S]*?\1/g, (code) => code.replace(/[^\n]/g, ' '));

/** GitHub's anchor for a heading: its text, lowercased, punctuation dropped, spaces turned into dashes. */
function githubSlug(heading: string): string {
  const plain = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '');
  return plain
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown document offers: one per heading (repeats suffixed -1, -2, ...) and explicit HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/** Link targets with their line numbers: inline links and images, reference definitions, and HTML hrefs. */
function linksOf(markdown: string): { target: string; line: number }[] {
  const text = withoutInlineCode(withoutFences(markdown));
  const patterns = [
    /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g,
    /^ {0,3}\[[^\]]+\]:[ \t]*(<[^>]*>|\S+)/gm,
    /<a\s[^>]*href="([^"]+)"/g,
  ];
  const out: { target: string; line: number }[] = [];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const target = match[1]!.replace(/^<|>$/g, '');
      out.push({ target, line: text.slice(0, match.index).split('\n').length });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/** The broken relative links of `file` (a path from the repository root) whose text is `markdown`. */
function brokenLinks(file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const { target, line } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved =
      pathPart === ''
        ? file
        : path.posix.normalize(
            pathPart.startsWith('/') ? pathPart.slice(1) : path.posix.join(path.posix.dirname(file), pathPart),
          );
    const where = `${file}:${line}: ${target}`;
    const abs = path.join(root, resolved);
    if (resolved.startsWith('..') || !existsSync(abs)) {
      problems.push(`${where}: ${resolved} does not exist`);
      continue;
    }
    if (fragment === undefined || fragment === '') continue;
    if (!statSync(abs).isFile() || !resolved.endsWith('.md')) {
      if (!/^L\d+(-L\d+)?$/.test(fragment)) problems.push(`${where}: #${fragment} in a file that has no headings`);
      continue;
    }
    const text = resolved === file ? markdown : readFileSync(abs, 'utf8');
    if (!anchorsOf(text).has(fragment)) problems.push(`${where}: ${resolved} has no heading #${fragment}`);
  }
  return problems;
}

describe('GitHub anchors', () => {
  it('lowercases the heading, drops punctuation and turns spaces into dashes', () => {
    expect(githubSlug('4. Attribute mappings and the subject rule')).toBe('4-attribute-mappings-and-the-subject-rule');
    expect(githubSlug('5. The `aadOptscim062020` flag')).toBe('5-the-aadoptscim062020-flag');
    expect(githubSlug('"The user is provisioned, but kubectl says Forbidden"')).toBe(
      'the-user-is-provisioned-but-kubectl-says-forbidden',
    );
    expect(githubSlug('Argo CD: [health](x.md) & sync_options')).toBe('argo-cd-health--sync_options');
  });

  it('suffixes a repeated heading with -1, -2 and skips headings inside code fences', () => {
    const doc = ['# Setup', '## Setup', '```sh', '# Setup', '```', '### Setup', '<a name="manual"></a>'].join('\n');
    expect([...anchorsOf(doc)].sort()).toEqual(['manual', 'setup', 'setup-1', 'setup-2']);
  });
});

describe('link checking', () => {
  it('finds inline links, images and reference definitions, but none inside code', () => {
    const doc = ['[a](docs/a.md) ![b](img.png "title")', '`[c](c.md)`', '```', '[d](d.md)', '```', '[e]: e.md'];
    expect(linksOf(doc.join('\n'))).toEqual([
      { target: 'docs/a.md', line: 1 },
      { target: 'img.png', line: 1 },
      { target: 'e.md', line: 6 },
    ]);
  });

  it('reports a missing file, a missing heading in another file and a missing heading in the same file', () => {
    const doc = [
      '# Title',
      '[ok](docs/configuration.md#subjects) [ok](#title) [ok](examples/) [web](https://example.com/x#y)',
      '[file](docs/no-such-file.md) [heading](docs/configuration.md#no-such-heading) [self](#no-such-heading)',
    ].join('\n');
    expect(brokenLinks('README.md', doc)).toEqual([
      'README.md:3: docs/no-such-file.md: docs/no-such-file.md does not exist',
      'README.md:3: docs/configuration.md#no-such-heading: docs/configuration.md has no heading #no-such-heading',
      'README.md:3: #no-such-heading: README.md has no heading #no-such-heading',
    ]);
  });
});

/**
 * Files the comments of an example refer to (`access-mapping-team-edit.yaml`, `docs/security.md#audit-trail`), which
 * must exist beside the example or from the repository root; a `#fragment` must name a heading there.
 */
function brokenExampleReferences(file: string, text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (!/^\s*#/.test(line)) return;
    for (const match of line.matchAll(/(?:[\w.-]+\/)*[\w.-]+\.(?:ya?ml|md|sh|ts)(?:#[\w-]+)?/g)) {
      const [reference] = match;
      const [name, fragment] = reference.split('#') as [string, string | undefined];
      const found = [path.posix.join(path.posix.dirname(file), name), name].find((c) => existsSync(path.join(root, c)));
      const where = `${file}:${index + 1}: ${reference}`;
      if (!found) problems.push(`${where}: no such file beside the example or from the repository root`);
      else if (fragment && !anchorsOf(readFileSync(path.join(root, found), 'utf8')).has(fragment))
        problems.push(`${where}: ${found} has no heading #${fragment}`);
    }
  });
  return problems;
}

const exampleFiles = readdirSync(path.join(root, 'examples'))
  .filter((f) => !f.endsWith('.md'))
  .map((f) => `examples/${f}`)
  .sort();

describe('documentation links', () => {
  it('covers the README, docs/, examples/ and the chart', () => {
    expect(documents).toContain('README.md');
    expect(documents).toContain('docs/entra-id.md');
    expect(documents.filter((d) => d.startsWith('docs/adr/')).length).toBeGreaterThan(0);
  });

  for (const file of documents) {
    it(`every relative link in ${file} resolves`, () => {
      expect(brokenLinks(file, readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
    });
  }

  it('reports an example comment that names a missing file or heading', () => {
    const text =
      '# see access-mapping-team-edit.yaml and docs/security.md\n# also gone.yaml, docs/security.md#nope\nkind: X.yaml';
    expect(brokenExampleReferences('examples/x.yaml', text)).toEqual([
      'examples/x.yaml:2: gone.yaml: no such file beside the example or from the repository root',
      'examples/x.yaml:2: docs/security.md#nope: docs/security.md has no heading #nope',
    ]);
  });

  for (const file of exampleFiles) {
    it(`every file the comments of ${file} name exists`, () => {
      expect(brokenExampleReferences(file, readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
    });
  }
});

describe('alert runbooks', () => {
  const rule = readFileSync(path.join(root, 'charts/scim-operator/templates/prometheusrule.yaml'), 'utf8');
  const alerts = rule
    .split(/^\s*- alert: /m)
    .slice(1)
    .map((chunk) => ({ name: chunk.split(/\s/, 1)[0]!, body: chunk }));

  it('knows every alert of the chart, the ones prometheusRule.disabled can name', () => {
    expect(alerts.map((a) => a.name)).toEqual([...alertNames]);
  });

  for (const { name, body } of alerts) {
    it(`${name} has a runbook_url that names a heading of docs/troubleshooting.md`, () => {
      const fragment = /runbook_url: \{\{ \$runbook \}\}#([\w-]+)/.exec(body)?.[1];
      expect(fragment).toBe(name.toLowerCase());
      expect([...anchorsOf(readFileSync(path.join(root, 'docs/troubleshooting.md'), 'utf8'))]).toContain(fragment);
    });
  }

  it('links to docs/troubleshooting.md by default', () => {
    const values = readFileSync(path.join(root, 'charts/scim-operator/values.yaml'), 'utf8');
    expect(/^ {2}runbookBaseUrl: (\S+)$/m.exec(values)?.[1]).toMatch(/\/docs\/troubleshooting\.md$/);
  });
});
