/**
 * Opening the workbench database: WAL so the app, `serve` and the CLI can share one file (readers
 * never block the writer), synchronous NORMAL (the WAL-mode default of most apps), foreign keys on (SQLite leaves them off by default), a busy timeout so a
 * second writer waits instead of failing, then every pending migration in one transaction.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { StorageError } from './errors.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';

export type { Database } from 'better-sqlite3';

export interface OpenDatabaseOptions {
  /** File path; ':memory:' works too (tests of single connections only). */
  path: string;
  /** A better-sqlite3 binding built for the current runtime (Electron); see native-binding.ts. */
  nativeBinding?: string;
  /** How long a writer waits for another connection's write lock (default 5 s). */
  busyTimeoutMs?: number;
  /** The migration list (default: every migration of this build). Tests pass a prefix or extras. */
  migrations?: readonly Migration[];
}

export function openDatabase(options: OpenDatabaseOptions): Database {
  const file = options.path;
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  } catch (error) {
    throw new StorageError(`Cannot open the database "${file}": ${messageOf(error)}`, 'internal');
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
    // Checked before anything is written, so a database from a newer version is left exactly as it was.
    refuseNewerSchema(db, file, options.migrations ?? MIGRATIONS);
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL cannot corrupt the file; a power cut may only lose the last commits. FULL
    // would fsync every metrics flush, which costs more than the insert itself.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StorageError) throw error;
    throw new StorageError(`Cannot open the database "${file}": ${messageOf(error)}`, 'internal');
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function latestOf(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

function refuseNewerSchema(db: Database, file: string, migrations: readonly Migration[]): void {
  let version: number;
  try {
    version = schemaVersion(db);
  } catch (error) {
    throw new StorageError(`"${file}" is not a Recurrent Workbench database (${messageOf(error)}).`, 'bad-input');
  }
  const latest = latestOf(migrations);
  if (version > latest) {
    throw new StorageError(
      `This database was written by a newer Recurrent Workbench (schema ${version}; this version knows up to ${latest}). ` +
        'Update the app or choose another database.',
      'conflict',
    );
  }
}

/**
 * Runs every migration above the stored user_version in one IMMEDIATE transaction: either the database
 * reaches the latest version or it stays as it was. IMMEDIATE takes the write lock first, so two
 * processes opening a fresh file at once cannot both migrate; the version is re-read under the lock.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    for (const migration of ordered) {
      if (migration.version <= current) continue;
      try {
        migration.up(db);
      } catch (error) {
        throw new StorageError(
          `Upgrading the database to schema ${migration.version} (${migration.name}) failed: ${messageOf(error)}`,
          'internal',
        );
      }
      db.pragma(`user_version = ${migration.version}`);
    }
    return schemaVersion(db);
  });
  return run.immediate();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
