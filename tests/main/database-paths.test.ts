// Opening a database path, on real files: another program's SQLite file is refused and left byte for
// byte as it was (no -wal or -shm beside it either); a read-only open creates and upgrades nothing;
// a folder, a path under a file and a read-only folder each get their own true sentence.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, prepareDatabasePath, schemaVersion, Storage, StorageError } from '../../main/storage/index.ts';
import { migration001 } from '../../main/storage/migrations/001-initial.ts';
import type { Migration } from '../../main/storage/migrations/index.ts';
import { mountScratchFolder, type ReadOnlyFolder } from './read-only-folder.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-db-paths-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The file's bytes and modification time, and every file in its folder. */
function fingerprint(file: string): { sha: string; mtimeMs: number; folder: string[] } {
  return {
    sha: createHash('sha256').update(readFileSync(file)).digest('hex'),
    mtimeMs: statSync(file).mtimeMs,
    folder: readdirSync(path.dirname(file)).sort(),
  };
}

function errorOf(fn: () => unknown): StorageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a refusal');
}

function otherProgramsDatabase(file: string, journal: 'delete' | 'wal'): void {
  const other = new BetterSqlite3(file);
  other.pragma(`journal_mode = ${journal}`);
  other.exec('CREATE TABLE x (a INTEGER); CREATE TABLE y (b TEXT); INSERT INTO x VALUES (1)');
  other.close();
}

describe("another program's SQLite file", () => {
  for (const journal of ['delete', 'wal'] as const) {
    it(`is refused by a read and by a write, and left exactly as it was (journal mode ${journal})`, () => {
      const file = path.join(dir, 'other.db');
      otherProgramsDatabase(file, journal);
      const before = fingerprint(file);
      const sentence = `"${file}" is a SQLite database of another program (it has tables "x", "y"); Recurrent Workbench will not change it. Choose another file.`;
      for (const access of ['read', 'write'] as const) {
        expect(errorOf(() => Storage.open({ path: file, access })).message).toBe(sentence);
        expect(fingerprint(file)).toEqual(before);
      }
      const raw = new BetterSqlite3(file, { readonly: true });
      expect(schemaVersion(raw)).toBe(0);
      raw.close();
    });
  }
});

describe('a read-only open', () => {
  const addNotes: Migration = { version: 2, name: 'run notes', up(db) { db.exec(`ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''`); } };

  it('reads an up-to-date database', () => {
    const file = path.join(dir, 'w.db');
    const writer = Storage.open(file);
    writer.corpora.add({ name: 'kept', text: 'some text that stays' });
    writer.close();
    const reader = Storage.open({ path: file, access: 'read' });
    expect(reader.corpora.list().map((c) => c.name)).toEqual(['kept']);
    reader.close();
  });

  it('does not upgrade an older schema: it says so, and the file stays as it was', () => {
    const file = path.join(dir, 'old.db');
    // openDatabase, not Storage: the repositories speak the latest schema.
    openDatabase({ path: file, migrations: [migration001] }).close();
    const before = fingerprint(file);
    const error = errorOf(() => openDatabase({ path: file, access: 'read', migrations: [migration001, addNotes], howToWrite: 'Train to upgrade it.' }));
    expect(error.message).toBe(`The database "${file}" has schema 1, older than this version's 2; a command that only reads does not upgrade it. Train to upgrade it.`);
    expect(fingerprint(file)).toEqual(before);
    // A write opens and upgrades it, as before.
    const db = openDatabase({ path: file, migrations: [migration001, addNotes] });
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });

  it('creates nothing where there is no database: neither the folder nor the file', () => {
    const file = path.join(dir, 'missing', 'folder', 'w.db');
    const error = errorOf(() => Storage.open({ path: file, access: 'read', howToWrite: 'Add a corpus to create it.' }));
    expect(error.message).toBe(`There is no database at "${file}" yet; a command that only reads does not create one. Add a corpus to create it.`);
    expect(error.code).toBe('not-found');
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('leaves an empty file empty', () => {
    const file = path.join(dir, 'empty.db');
    writeFileSync(file, '');
    expect(errorOf(() => Storage.open({ path: file, access: 'read' })).message).toBe(
      `The database "${file}" is empty; a command that only reads does not create one.`,
    );
    expect(fingerprint(file)).toMatchObject({ folder: ['empty.db'] });
    expect(statSync(file).size).toBe(0);
  });
});

describe('wrong paths', () => {
  it('a folder given as the database', () => {
    const folder = path.join(dir, 'data');
    mkdirSync(folder);
    for (const access of ['read', 'write'] as const) {
      expect(errorOf(() => Storage.open({ path: folder, access })).message).toBe(
        `"${folder}" is a folder, not a database file. Give the path of a file in it, e.g. "${path.join(folder, 'workbench.db')}".`,
      );
    }
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a path under a file, however deep', () => {
    const notes = path.join(dir, 'somefile.txt');
    writeFileSync(notes, 'notes');
    for (const file of [path.join(notes, 'x.db'), path.join(notes, 'a', 'b', 'x.db')]) {
      for (const access of ['read', 'write'] as const) {
        expect(errorOf(() => Storage.open({ path: file, access })).message).toBe(
          `"${notes}" is a file, not a folder, so the database "${file}" cannot be made under it. Choose another path.`,
        );
      }
      expect(errorOf(() => prepareDatabasePath(file)).message).toMatch(/is a file, not a folder/);
    }
    expect(readFileSync(notes, 'utf8')).toBe('notes');
  });

  it('a write still makes the missing folders and the database', () => {
    const file = path.join(dir, 'new', 'nested', 'w.db');
    const storage = Storage.open(file);
    expect(storage.schemaVersion).toBeGreaterThan(0);
    storage.close();
  });
});

describe('a database in a read-only folder (a tmpfs remounted read-only)', () => {
  let readOnly: ReadOnlyFolder | undefined;
  beforeAll(() => { readOnly = mountScratchFolder('rw-db-ro-'); });
  afterAll(() => readOnly?.remove());
  it('is read (without a -shm beside it); a write is refused with the reason; nothing changes', () => {
    const folder = readOnly!.dir;
    const file = path.join(folder, 'w.db');
    const writer = Storage.open(file);
    writer.corpora.add({ name: 'kept', text: 'some text that stays' });
    // As a crash leaves a database: its newest commits still in the -wal, and no -shm copied along.
    const crashed = path.join(folder, 'crashed.db');
    copyFileSync(file, crashed);
    copyFileSync(`${file}-wal`, `${crashed}-wal`);
    writer.close();
    readOnly!.freeze();
    const before = fingerprint(file);
    expect(before.folder).toEqual(['crashed.db', 'crashed.db-wal', 'w.db']);

    const reader = Storage.open({ path: file, access: 'read' });
    expect(reader.readOnly).toBe(true);
    expect(reader.corpora.list().map((c) => c.name)).toEqual(['kept']);
    reader.close();

    expect(errorOf(() => Storage.open(file)).message).toBe(
      `The database "${file}" can only be read: the folder "${folder}" is not writable, so Recurrent Workbench cannot change it.`,
    );
    const missing = path.join(folder, 'sub', 'new.db');
    expect(errorOf(() => Storage.open(missing)).message).toBe(`Cannot create the database "${missing}": the folder "${folder}" is not writable.`);
    expect(errorOf(() => Storage.open({ path: crashed, access: 'read' })).message).toBe(
      `The database "${crashed}" cannot be read here: its folder "${folder}" is not writable, and SQLite needs to create "crashed.db-shm" beside it to read it. Copy it to a writable folder.`,
    );
    expect(fingerprint(file)).toEqual(before);
  });
});
