/**
 * The Inspect text as rows of at most `columns` characters: a line break ends a row (and stays in it,
 * so it can be hovered and coloured), a longer line wraps. Rows are what the text view virtualizes.
 */
export interface TextRow {
  /** Positions start (inclusive) to end (exclusive). */
  start: number;
  end: number;
}

export function layoutRows(chars: readonly string[], columns: number): TextRow[] {
  const rows: TextRow[] = [];
  let start = 0;
  for (let p = 0; p < chars.length; p++) {
    if (chars[p] === '\n' || p + 1 - start >= columns) {
      rows.push({ start, end: p + 1 });
      start = p + 1;
    }
  }
  if (start < chars.length || rows.length === 0) rows.push({ start, end: chars.length });
  return rows;
}

/** The row that holds position p (rows are sorted and cover the text). */
export function rowOf(rows: readonly TextRow[], p: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const m = (lo + hi + 1) >> 1;
    if (rows[m].start <= p) lo = m;
    else hi = m - 1;
  }
  return lo;
}
