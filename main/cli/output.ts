/** Writing to stdout: JSON lines for --json, aligned tables for people. */

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

export function printLine(text = ''): void {
  process.stdout.write(text + '\n');
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function printTable(header: string[], rows: (string | number | null)[][]): void {
  const cells = [header, ...rows.map((row) => row.map((v) => (v === null ? '—' : String(v))))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? '')].length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === null));
  for (const row of cells) {
    const line = row.map((cell, i) => {
      const pad = ' '.repeat(widths[i] - [...cell].length);
      return numeric[i] ? pad + cell : cell + pad;
    });
    printLine(line.join('  ').trimEnd());
  }
}

/** What a list command prints: a JSON line per item with --json; else a table, or a hint when there is nothing yet. */
export function printListing<T>(items: T[], listing: {
  json?: boolean;
  whenEmpty: string;
  header: string[];
  row: (item: T) => (string | number | null)[];
}): void {
  if (listing.json) return items.forEach(printJson);
  if (items.length === 0) return printLine(listing.whenEmpty);
  printTable(listing.header, items.map(listing.row));
}

export function formatLoss(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : value.toFixed(4);
}
