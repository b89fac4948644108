export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/**
 * A plain-text table: upper-case headers, columns padded to their widest cell, two spaces apart.
 * Control characters in values (names and identifiers come from users) are shown escaped, so a
 * value cannot move the cursor or recolour the terminal.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (typeof value === 'object') return sanitize(JSON.stringify(value));
  return sanitize(String(value));
}

/** Escapes C0/C1 control characters (terminal escape sequences) for display. */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
