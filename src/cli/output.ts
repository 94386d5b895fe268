/** How commands print: machine JSON (`--json`) or short human lines and aligned tables. */

export interface OutputOptions {
  json?: boolean;
}

export function writeLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Control characters in untrusted text (alert titles) would move the terminal's cursor: shown escaped. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Left-aligned columns sized to their widest cell; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const cells = [headers, ...rows].map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** `2026-11-20T11:00:00.123Z` → `2026-11-20 11:00:00Z` (short, still UTC). */
export function shortTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
