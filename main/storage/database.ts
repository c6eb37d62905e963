/**
 * Opening the workbench database: WAL so the app, `serve` and the CLI can share one file (readers
 * never block the writer), synchronous NORMAL (the WAL-mode default of most apps), foreign keys on (SQLite leaves them off by default), a busy timeout so a
 * second writer waits instead of failing, then every pending migration in one transaction.
 *
 * A file that is already there is looked at before anything is written to it: another program's
 * database, or one from a newer version, is refused and left byte for byte as it was. A read-only
 * open (`access: 'read'`, the CLI's listing commands) creates nothing and upgrades nothing, and reads
 * a database whose folder cannot be written.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { examineDatabasePath, notWritable, type DatabasePlace } from './database-place.ts';
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
  /**
   * 'write' (default): create the file and its folders when missing, upgrade the schema. 'read': the
   * database must exist at the latest schema; nothing is created or upgraded. The connection is still
   * read-write where the file can be written (a reader marks the runs of dead hosts interrupted), and
   * read-only where it cannot (a read-only folder).
   */
  access?: 'write' | 'read';
  /** Ends the refusals of a read (no database yet, an older schema): how this host creates or upgrades one. */
  howToWrite?: string;
}

/** Tables every workbench database has; a SQLite file without them belongs to another program. */
const OUR_TABLES = ['corpora', 'runs'];

/** A WAL database in a read-only folder is read from a copy in memory (SQLite cannot make its -shm); up to this size. */
const MEMORY_COPY_LIMIT = 512 * 1024 * 1024;

export function openDatabase(options: OpenDatabaseOptions): Database {
  const access = options.access ?? 'write';
  const migrations = options.migrations ?? MIGRATIONS;
  if (options.path === ':memory:') return setUp(connect(options, ':memory:', {}), access, migrations, options);
  const place = access === 'write' ? prepareDatabasePath(options.path) : examineDatabasePath(options.path);
  if (place.state !== 'present') {
    if (access === 'read') throw nothingStoredYet(place, options.howToWrite);
    return setUp(connect(options, place.file, {}), access, migrations, options);
  }
  let db = connectToLook(place, options);
  try {
    refuseUnlessOurs(db, place, migrations, options);
  } catch (error) {
    db.close();
    throw error;
  }
  if (place.writable && db.readonly) {
    db.close();
    db = connect(options, place.file, { fileMustExist: true });
  }
  return setUp(db, access, migrations, options);
}

/**
 * What a writer checks before it touches the path (the app takes its lock file beside the database
 * first): each wrong path's own sentence, a folder that cannot be written; then missing folders are made.
 */
export function prepareDatabasePath(file: string): DatabasePlace {
  const place = examineDatabasePath(file);
  if (!place.writable) throw notWritable(place);
  if (place.state === 'missing') makeFolder(file);
  return place;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function latestOf(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** Pragmas of every connection; a write open also switches to WAL and upgrades. */
function setUp(db: Database, access: 'write' | 'read', migrations: readonly Migration[], options: OpenDatabaseOptions): Database {
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
    if (access === 'write') db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL cannot corrupt the file; a power cut may only lose the last commits. FULL
    // would fsync every metrics flush, which costs more than the insert itself.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (access === 'write') migrate(db, migrations);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StorageError) throw error;
    throw new StorageError(`Cannot open the database "${options.path}": ${messageOf(error)}`, 'internal');
  }
}

/**
 * A connection to look at a file that is there, leaving nothing behind: read-only where that creates
 * no file (a rollback-journal database, or a WAL one whose -wal is already there); read-write for a
 * WAL database without one, because SQLite removes the -wal and -shm it makes when the last connection
 * closes, and a read-only one would leave them; a copy in memory when the folder cannot be written.
 */
function connectToLook(place: DatabasePlace, options: OpenDatabaseOptions): Database {
  if (!place.walMode || place.hasSideFiles) return connect(options, place.file, { readonly: true, fileMustExist: true });
  if (place.writable) return connect(options, place.file, { fileMustExist: true });
  if (place.bytes > MEMORY_COPY_LIMIT) throw cannotReadHere(place);
  const bytes = readFileSync(place.file);
  // Without a -wal file the database file is complete; marked as a rollback-journal file it needs no -shm.
  bytes[18] = 1;
  bytes[19] = 1;
  return connect(options, bytes, { readonly: true });
}

function connect(options: OpenDatabaseOptions, source: string | Buffer, flags: { readonly?: boolean; fileMustExist?: boolean }): Database {
  try {
    return new BetterSqlite3(source, { ...flags, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  } catch (error) {
    throw new StorageError(`Cannot open the database "${options.path}": ${messageOf(error)}`, 'internal');
  }
}

function makeFolder(file: string): void {
  const folder = path.dirname(path.resolve(file));
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new StorageError(`Cannot create the folder "${folder}" for the database "${file}": ${messageOf(error)}`);
  }
}

/** Refuses another program's database, one from a newer version, and for a read one not at the latest schema. */
function refuseUnlessOurs(db: Database, place: DatabasePlace, migrations: readonly Migration[], options: OpenDatabaseOptions): void {
  const file = place.file;
  let version: number;
  let objects: { type: string; name: string }[];
  try {
    version = schemaVersion(db);
    objects = db.prepare(`SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid`).all() as typeof objects;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_CANTOPEN' && !place.writable) throw cannotReadHere(place);
    if (code === 'SQLITE_NOTADB') throw new StorageError(`"${file}" is not a Recurrent Workbench database (${messageOf(error)}).`);
    throw new StorageError(`Cannot read the database "${file}": ${messageOf(error)}`);
  }
  if (objects.length === 0 && version === 0) {
    if (options.access === 'read') throw nothingStoredYet(place, options.howToWrite);
    return;
  }
  const tables = objects.filter((o) => o.type === 'table').map((o) => o.name);
  if (!OUR_TABLES.every((t) => tables.includes(t))) {
    const what = tables.length > 0 ? `it has ${tables.length === 1 ? 'table' : 'tables'} ${listNames(tables)}` : `it has ${objects.length} schema objects`;
    throw new StorageError(`"${file}" is a SQLite database of another program (${what}); Recurrent Workbench will not change it. Choose another file.`);
  }
  const latest = latestOf(migrations);
  if (version > latest) {
    throw new StorageError(
      `This database was written by a newer Recurrent Workbench (schema ${version}; this version knows up to ${latest}). ` +
        'Update the app or choose another database.',
      'conflict',
    );
  }
  if (options.access === 'read' && version < latest) {
    throw new StorageError(
      `The database "${file}" has schema ${version}, older than this version's ${latest}; a command that only reads does not upgrade it.` +
        (options.howToWrite ? ` ${options.howToWrite}` : ''),
      'conflict',
    );
  }
}

function nothingStoredYet(place: DatabasePlace, howToWrite: string | undefined): StorageError {
  const what = place.state === 'missing' ? `There is no database at "${place.file}" yet` : `The database "${place.file}" is empty`;
  return new StorageError(`${what}; a command that only reads does not create one.${howToWrite ? ` ${howToWrite}` : ''}`, 'not-found');
}

function cannotReadHere(place: DatabasePlace): StorageError {
  return new StorageError(
    `The database "${place.file}" cannot be read here: its folder "${place.folder}" is not writable, and SQLite needs to ` +
      `create "${path.basename(place.file)}-shm" beside it to read it. Copy it to a writable folder.`,
  );
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
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
