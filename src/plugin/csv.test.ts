import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from './csv.ts';

describe('RFC 4180 CSV', () => {
  it('leaves plain fields bare', () => {
    expect(csvRecord(['ada@example.com', 'edit', ''])).toBe('ada@example.com,edit,\r\n');
  });

  it('quotes fields with a comma, a quote, CR or LF, and doubles the quote inside', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('quotes fields with leading or trailing blanks so that readers which trim keep them', () => {
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('padded ')).toBe('"padded "');
  });

  it('ends every record with CRLF', () => {
    expect(csvRecord(['a', 'b"c'])).toBe('a,"b""c"\r\n');
  });
});
