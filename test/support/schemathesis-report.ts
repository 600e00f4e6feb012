/**
 * Reads what `schemathesis run --report junit,json,har` writes: the JSON run report for counts and errors, the JUnit
 * XML for the text of each failure (check code, title, status received, response body and a curl line to reproduce),
 * and the HAR log for the statuses the endpoint answered.
 */

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface SchemathesisRun {
  version: string;
  seed: number;
  exitCode: number;
  operations: { selected: number; tested: number; errored: number };
  testCases: { generated: number; withFailures: number };
  /** Phase name → status (`success`, `failure`, `skip`, ...). */
  phases: Record<string, string>;
  /** How many responses had each status, from the HAR log. */
  statuses: Record<string, number>;
  /** One readable entry per operation that failed a check or errored: its name, then the report's text. */
  failures: string[];
}

export async function readSchemathesisReports(dir: string): Promise<SchemathesisRun> {
  const files = await readdir(dir);
  const json = files.find((f) => f.startsWith('json-') && f.endsWith('.json'));
  const junit = files.find((f) => f.startsWith('junit-') && f.endsWith('.xml'));
  const har = files.find((f) => f.startsWith('har-') && f.endsWith('.json'));
  if (!json || !junit || !har)
    throw new Error(`schemathesis wrote no JSON, JUnit and HAR reports into ${dir}: ${files}`);
  const entries = JSON.parse(await readFile(path.join(dir, har), 'utf8')).log.entries as {
    response: { status: number };
  }[];
  const statuses: Record<string, number> = {};
  for (const { response } of entries) statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  const report = JSON.parse(await readFile(path.join(dir, json), 'utf8'));
  const xml = await readFile(path.join(dir, junit), 'utf8');
  return {
    version: report.schemathesis_version,
    seed: report.seed,
    exitCode: report.exit_code,
    operations: report.operations,
    testCases: { generated: report.test_cases.generated, withFailures: report.test_cases.with_failures },
    statuses,
    phases: Object.fromEntries(
      Object.entries(report.phases as Record<string, { status: string }>).map(([name, p]) => [name, p.status]),
    ),
    failures: [
      ...junitFailures(xml),
      ...(report.errors as unknown[]).map((error) => `error: ${JSON.stringify(error).slice(0, 2000)}`),
    ],
  };
}

/** `<testcase name="GET /Users">` with a `<failure>` or `<error>` child → "GET /Users: <its text, shortened>". */
function junitFailures(xml: string): string[] {
  const out: string[] = [];
  for (const testcase of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    for (const problem of testcase[2]!.matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
      out.push(`${unescapeXml(testcase[1]!)} (${problem[1]}):\n${shorten(unescapeXml(problem[2]!))}`);
    }
  }
  return out;
}

function shorten(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .slice(0, 40)
    .map((line) => `    ${line}`)
    .join('\n');
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
