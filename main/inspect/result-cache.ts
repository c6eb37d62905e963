/**
 * Inspect results kept in memory by key (checkpoint and text hash for traces), least recently used
 * first out, bounded by bytes: a 20,000-character trace of a 2×256 LSTM takes about 250 MB, so the
 * bound, not a count, is what protects the host. An entry bigger than the bound is still kept alone.
 */
export class ResultCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): V | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.entries) {
      if (this.used <= this.maxBytes || this.entries.size === 1) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  /** Drops every entry whose key passes `match` (a deleted checkpoint's traces). */
  deleteWhere(match: (key: string, value: V) => boolean): void {
    for (const [k, e] of [...this.entries]) if (match(k, e.value)) this.delete(k);
  }

  get bytes(): number {
    return this.used;
  }
}
