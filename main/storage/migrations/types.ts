import type { Database } from 'better-sqlite3';

/** One schema step. `up` runs inside the transaction that applies every pending migration. */
export interface Migration {
  /** The `PRAGMA user_version` this migration brings the database to. */
  version: number;
  name: string;
  up(db: Database): void;
}
