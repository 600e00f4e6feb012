/**
 * Tables as kubectl prints them: upper-case headers, columns left-aligned and separated by three spaces, no
 * trailing blanks. Pure, so the look is unit-tested; an empty cell prints as `<none>` like kubectl does.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map((c) => (c === '' ? '<none>' : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** `key: value` lines with the values aligned, for the identity part of `whois`; an empty value prints `<none>`. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)}   ${v === '' ? '<none>' : v}\n`).join('');
}

/** Indents every line by two spaces, as the sections of `whois` and `plan` are; blank lines stay empty. */
export function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}
