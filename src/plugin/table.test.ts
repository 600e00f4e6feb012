import { describe, expect, it } from 'vitest';
import { indent, renderFields, renderTable } from './table.ts';

describe('renderTable', () => {
  it('prints upper-case headers and columns separated by three spaces, like kubectl', () => {
    expect(
      renderTable(
        ['name', 'role'],
        [
          ['ada', 'edit'],
          ['bartholomew', 'view'],
        ],
      ),
    ).toBe('NAME          ROLE\nada           edit\nbartholomew   view\n');
  });

  it('prints an empty cell as <none> and leaves no trailing blanks', () => {
    const out = renderTable(
      ['a', 'b', 'c'],
      [
        ['x', '', 'z'],
        ['long-value', 'y', ''],
      ],
    );
    expect(out).toBe('A            B        C\nx            <none>   z\nlong-value   y        <none>\n');
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('prints only the header line when there are no rows', () => {
    expect(renderTable(['user', 'grant'], [])).toBe('USER   GRANT\n');
  });
});

describe('renderFields', () => {
  it('aligns the values of key-value lines', () => {
    expect(
      renderFields([
        ['Name', 'ada'],
        ['Connection', 'entra'],
      ]),
    ).toBe('Name:         ada\nConnection:   entra\n');
  });
});

describe('indent', () => {
  it('indents each line by two spaces and leaves blank lines empty', () => {
    expect(indent('A   B\n\nx   y\n')).toBe('  A   B\n\n  x   y\n');
  });
});
