/**
 * What the database holds and how big it is, for the Storage panel and `rnnwb db info`. Bytes per
 * table (indexes included) come from the dbstat virtual table when SQLite was built with it, else null.
 */
import { statSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';
import type { StorageInfo } from './types.ts';

export class StorageInfoRepository {
  private readonly tableNames: Statement<[], { name: string }>;
  private readonly tableBytes: Statement<[], { name: string; bytes: number }> | null;
  private readonly rowCounts = new Map<string, Statement<[], { n: number }>>();

  constructor(private readonly db: Database, private readonly path: string) {
    this.tableNames = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
    this.tableBytes = prepareOrNull(db, `SELECT s.tbl_name AS name, sum(d.pgsize) AS bytes
      FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name`);
  }

  info(): StorageInfo {
    const bytesByTable = new Map((this.tableBytes?.all() ?? []).map((t) => [t.name, t.bytes] as const));
    const tables = this.tableNames.all().map(({ name }) => ({
      name,
      rows: this.rowCountOf(name),
      bytes: this.tableBytes ? (bytesByTable.get(name) ?? 0) : null,
    }));
    return { path: this.path, bytes: this.fileBytes(), tables };
  }

  /** Rewrites the file without free pages (after deleting runs or checkpoints) and empties the WAL. */
  vacuum(): StorageInfo {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return this.info();
  }

  /** The database file plus its write-ahead log (which can hold recent writes not yet copied back). */
  fileBytes(): number {
    if (this.path === ':memory:' || this.path === '') return 0;
    return sizeOf(this.path) + sizeOf(`${this.path}-wal`);
  }

  private rowCountOf(table: string): number {
    let statement = this.rowCounts.get(table);
    if (!statement) {
      // Table names come from sqlite_schema, not from a caller; quoting guards odd names anyway.
      statement = this.db.prepare(`SELECT count(*) AS n FROM "${table.replaceAll('"', '""')}"`);
      this.rowCounts.set(table, statement);
    }
    return statement.get()!.n;
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function prepareOrNull<R>(db: Database, sql: string): Statement<[], R> | null {
  try {
    return db.prepare(sql) as Statement<[], R>;
  } catch {
    return null;
  }
}
