/**
 * A plain text table: a header, a rule, one line per row, columns as wide as their widest
 * cell; the last column is not padded (it may be long: a summary, an error).
 */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export type Column<T> = readonly [header: string, cell: (item: T) => string];

/** A listing as a table for people, or as JSON for scripts (`--json`). */
export function printListing<T>(
  items: readonly T[],
  options: { json?: boolean | undefined; empty: string },
  columns: readonly Column<T>[],
): void {
  if (options.json) {
    console.log(JSON.stringify(items, null, 2));
    return;
  }
  if (items.length === 0) {
    console.log(options.empty);
    return;
  }
  console.log(
    textTable(
      columns.map(([header]) => header),
      items.map((item) => columns.map(([, cell]) => cell(item))),
    ),
  );
}

/** Cuts a cell to `max` characters, saying so. */
export function clip(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
