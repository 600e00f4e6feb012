/**
 * RFC 4180 CSV: fields separated by commas, records ended by CRLF, a field quoted when it holds a comma, a double
 * quote, CR or LF (or begins or ends with a space, which some readers trim), and a double quote inside doubled.
 */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
