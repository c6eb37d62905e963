/** Timestamps are stored as ISO-8601 UTC text: sortable, readable in the sqlite3 shell, and what the contract carries. */
export const isoNow = (now: number = Date.now()): string => new Date(now).toISOString();
