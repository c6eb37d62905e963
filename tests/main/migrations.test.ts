// Migrations on real files: a fresh database reaches the latest schema, an older one upgrades in one
// transaction, and a database from a newer version is refused without being touched.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { LATEST_VERSION, MIGRATIONS, measureText, openDatabase, schemaVersion, StorageError, Storage } from '../../main/storage/index.ts';
import { migration001 } from '../../main/storage/migrations/001-initial.ts';
import { migration002 } from '../../main/storage/migrations/002-stop-requests.ts';
import { migration003 } from '../../main/storage/migrations/003-trash.ts';
import type { Migration } from '../../main/storage/migrations/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-migrations-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const EXPECTED_TABLES = ['checkpoints', 'corpora', 'metrics', 'runs', 'samples', 'sweeps', 'vocabularies'];

function tablesOf(db: BetterSqlite3.Database): { name: string; strict: number }[] {
  return db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
    AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string; strict: number }[];
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the migration registry', () => {
  it('is ordered by version, one step at a time, ending at LATEST_VERSION', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
  });
});

describe('001-initial', () => {
  it('brings a fresh file to version 1 with every table STRICT, WAL and foreign keys on', () => {
    const file = path.join(dir, 'nested', 'folder', 'fresh.db');
    const db = openDatabase({ path: file, migrations: [migration001] });
    try {
      expect(schemaVersion(db)).toBe(1);
      const tables = tablesOf(db);
      expect(tables.map((t) => t.name)).toEqual(EXPECTED_TABLES);
      for (const table of tables) expect(table.strict, `${table.name} is STRICT`).toBe(1);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      const indexes = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'metrics'`).all() as { name: string }[];
      expect(indexes.map((i) => i.name)).toContain('metrics_run_step');
      const metricColumns = (db.prepare('SELECT name FROM pragma_table_info(?)').all('metrics') as { name: string }[]).map((c) => c.name);
      expect(metricColumns).toEqual(expect.arrayContaining([
        'run_id', 'step', 'epoch', 'train_loss', 'train_loss_avg', 'val_loss', 'bits_per_char', 'val_bits_per_char',
        'accuracy', 'val_accuracy', 'grad_norm', 'lr', 'chars_per_sec', 'elapsed_ms', 'wall_time',
      ]));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('never reuses the id of a deleted newest row (ids are what #ID and run ids name)', () => {
    const db = openDatabase({ path: path.join(dir, 'ids.db'), migrations: [migration001] });
    try {
      db.prepare(`INSERT INTO vocabularies (chars, sha256, size, created_at) VALUES ('["a"]', 'x', 1, 'now')`).run();
      const insertRun = db.prepare(`INSERT INTO runs (name, vocabulary_id, hyper, reproduction, created_at) VALUES (?, 1, '{}', '{}', 'now')`);
      const insertCheckpoint = db.prepare(`INSERT INTO checkpoints (run_id, step, kind, bytes, size, created_at) VALUES (?, 1, 'final', x'00', 1, 'now')`);
      const insertSample = db.prepare(`INSERT INTO samples (checkpoint_id, run_id, step, prompt, temperature, length, text, created_at)
        VALUES (?, ?, 1, 'a', 1, 1, 'a', 'now')`);
      const insertCorpus = db.prepare(`INSERT INTO corpora (name, text, sha256, source, chars, distinct_chars, bytes, created_at)
        VALUES (?, 'a', ?, 'paste', 1, 1, 1, 'now')`);
      const insertSweep = db.prepare(`INSERT INTO sweeps (grid, created_at) VALUES ('{}', 'now')`);
      const idOf = (info: { lastInsertRowid: number | bigint }) => Number(info.lastInsertRowid);

      const run = idOf(insertRun.run('first'));
      const checkpoint = idOf(insertCheckpoint.run(run));
      const sample = idOf(insertSample.run(checkpoint, run));
      const corpus = idOf(insertCorpus.run('one', 'sha-1'));
      const sweep = idOf(insertSweep.run());
      for (const table of ['samples', 'checkpoints', 'runs', 'corpora', 'sweeps']) db.exec(`DELETE FROM ${table}`);

      const nextRun = idOf(insertRun.run('second'));
      expect(nextRun).toBeGreaterThan(run);
      const nextCheckpoint = idOf(insertCheckpoint.run(nextRun));
      expect(nextCheckpoint).toBeGreaterThan(checkpoint);
      expect(idOf(insertSample.run(nextCheckpoint, nextRun))).toBeGreaterThan(sample);
      expect(idOf(insertCorpus.run('two', 'sha-2'))).toBeGreaterThan(corpus);
      expect(idOf(insertSweep.run())).toBeGreaterThan(sweep);
    } finally {
      db.close();
    }
  });

  it('enforces its constraints: run status, checkpoint kind, STRICT types, JSON columns', () => {
    const db = openDatabase({ path: path.join(dir, 'checks.db'), migrations: [migration001] });
    try {
      db.prepare(`INSERT INTO vocabularies (chars, sha256, size, created_at) VALUES ('["a"]', 'x', 1, 'now')`).run();
      const insertRun = db.prepare(`INSERT INTO runs (name, vocabulary_id, hyper, status, reproduction, created_at)
        VALUES (?, 1, '{}', ?, '{}', 'now')`);
      expect(() => insertRun.run('ok', 'queued')).not.toThrow();
      expect(() => insertRun.run('bad-status', 'sleeping')).toThrow(/CHECK/);
      expect(() => db.prepare(`INSERT INTO runs (name, vocabulary_id, hyper, reproduction, created_at)
        VALUES ('bad-json', 1, 'not json', '{}', 'now')`).run()).toThrow(/CHECK/);
      expect(() => db.prepare(`INSERT INTO checkpoints (run_id, step, kind, bytes, size, created_at)
        VALUES (1, 1, 'weekly', x'00', 1, 'now')`).run()).toThrow(/CHECK/);
      expect(() => db.prepare(`INSERT INTO checkpoints (run_id, step, kind, bytes, size, created_at)
        VALUES (1, 'ten', 'final', x'00', 1, 'now')`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
      expect(() => db.prepare(`INSERT INTO runs (name, vocabulary_id, hyper, reproduction, created_at)
        VALUES ('no-vocab', 999, '{}', '{}', 'now')`).run()).toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });
});

describe('002-stop-requests', () => {
  const owner = { pid: 4242, hostId: 'elsewhere' };
  const hyper = PRESETS.reference.hyper;
  /** A stored run on a small corpus, as run-factory.ts would store it. */
  function addRun(storage: Storage, name: string) {
    const corpus = storage.corpora.list()[0] ?? storage.corpora.add({ name: 'c', text: 'abc abc abc' }).corpus;
    const vocabularyId = storage.vocabularies.getOrCreate(['a', 'b', 'c', ' ']).id;
    return storage.runs.create({
      name, corpusId: corpus.id, vocabularyId, hyper,
      reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: hyper.seed, hyper },
    });
  }

  it('adds an empty stop request to every run of a version-1 database and keeps its rows', () => {
    const file = path.join(dir, 'v1.db');
    // The repositories speak the latest schema, so version 1 is written as it was: by hand.
    const old = openDatabase({ path: file, migrations: [migration001] });
    old.prepare(`INSERT INTO vocabularies (chars, sha256, size, created_at) VALUES ('["a"]', 'x', 1, 'now')`).run();
    old.prepare(`INSERT INTO runs (name, vocabulary_id, hyper, status, reproduction, owner_pid, owner_host_id, created_at)
      VALUES ('training', 1, '{}', 'running', '{}', ?, ?, 'now')`).run(owner.pid, owner.hostId);
    old.close();

    const db = openDatabase({ path: file, migrations: [migration001, migration002] });
    try {
      expect(schemaVersion(db)).toBe(2);
      expect(db.prepare('SELECT name, status, owner_pid, stop_requested_at FROM runs').all()).toEqual([
        { name: 'training', status: 'running', owner_pid: 4242, stop_requested_at: null },
      ]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('holds a stop request for a run some process owns, until that process lets go of it', () => {
    const storage = Storage.open(path.join(dir, 'requests.db'));
    try {
      const queued = addRun(storage, 'queued');
      const owned = addRun(storage, 'owned');
      storage.runs.claimRun(owned.id, owner);

      expect(storage.runs.requestStop(queued.id)).toBe(false); // nobody holds it: nothing to ask
      expect(storage.runs.requestStop(owned.id)).toBe(true);
      expect(storage.runs.stopsRequested(owner)).toEqual([owned.id]);
      expect(storage.runs.stopsRequested({ pid: 1, hostId: 'elsewhere' })).toEqual([]);

      // Ending the run lets go of it, and of the request: claimed again later, nobody has asked.
      storage.runs.setStatus(owned.id, 'stopped');
      expect(storage.runs.stopsRequested(owner)).toEqual([]);
      storage.runs.update(owned.id, { status: 'queued' });
      storage.runs.claimRun(owned.id, owner);
      expect(storage.runs.stopsRequested(owner)).toEqual([]);
    } finally {
      storage.close();
    }
  });
});

describe('003-trash', () => {
  it('adds an empty, STRICT trash to a version-2 database and keeps its rows', () => {
    const file = path.join(dir, 'v2.db');
    const old = openDatabase({ path: file, migrations: [migration001, migration002] });
    old.prepare(`INSERT INTO corpora (name, text, sha256, source, chars, distinct_chars, bytes, created_at)
      VALUES ('kept', 'abc', 'sha', 'test', 3, 3, 3, 'now')`).run();
    old.close();

    const db = openDatabase({ path: file, migrations: [migration001, migration002, migration003] });
    try {
      expect(schemaVersion(db)).toBe(3);
      expect(db.prepare('SELECT name FROM corpora').all()).toEqual([{ name: 'kept' }]);
      const trashTables = tablesOf(db).filter((t) => t.name.startsWith('trash'));
      expect(trashTables).toEqual([{ name: 'trash', strict: 1 }, { name: 'trash_rows', strict: 1 }]);
      expect(db.prepare('SELECT count(*) AS n FROM trash').get()).toEqual({ n: 0 });
      // Its constraints: a known kind, JSON rows, rows that go with their item.
      expect(() => db.prepare(`INSERT INTO trash (kind, item_id, name, deleted_at) VALUES ('sweep', 1, 'x', 'now')`).run()).toThrow(/CHECK constraint/);
      db.prepare(`INSERT INTO trash (kind, item_id, name, deleted_at) VALUES ('run', 1, 'x', 'now')`).run();
      expect(() => db.prepare(`INSERT INTO trash_rows (trash_id, seq, table_name, rows) VALUES (1, 0, 'runs', 'not json')`).run()).toThrow(/CHECK constraint/);
      db.prepare(`INSERT INTO trash_rows (trash_id, seq, table_name, rows) VALUES (1, 0, 'runs', '[]')`).run();
      db.prepare('DELETE FROM trash').run();
      expect(db.prepare('SELECT count(*) AS n FROM trash_rows').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('004-corpus-pieces', () => {
  // Over one 16 MiB piece, with characters of 1 to 4 bytes (a piece ends inside one), a BOM, CRLF and NUL.
  const unit = '\uFEFFa\u00e9\u4e16\u{1F600}\r\n\u0000 ';
  const bigText = unit.repeat(Math.ceil((17 * 2 ** 20) / Buffer.byteLength(unit)));

  it('moves every corpus text into pieces, a trashed one too, byte for byte, and drops the text column', () => {
    const file = path.join(dir, 'v3.db');
    // Version 3 written by hand: the repositories speak the latest schema.
    const old = openDatabase({ path: file, migrations: [migration001, migration002, migration003] });
    const insertCorpus = old.prepare(`INSERT INTO corpora (name, text, sha256, source, chars, distinct_chars, bytes, created_at)
      VALUES (?, ?, ?, 'paste', ?, ?, ?, 'now')`);
    for (const [name, text] of [['big', bigText], ['small', 'hello'], ['gone', `deleted ${unit}`]]) {
      const measure = measureText(text);
      insertCorpus.run(name, text, createHash('sha256').update(text).digest('hex'), measure.chars, measure.distinct, measure.bytes);
    }
    // "gone" in the trash as migration 003's trash keeps a corpus: its row, text and all, as JSON.
    old.prepare(`INSERT INTO trash (kind, item_id, name, deleted_at) VALUES ('corpus', 3, 'gone', 'now')`).run();
    old.prepare(`INSERT INTO trash_rows (trash_id, seq, table_name, rows) SELECT 1, 0, 'corpora', json_array(json_object(
      'id', id, 'name', name, 'text', text, 'sha256', sha256, 'source', source, 'chars', chars, 'distinct_chars', distinct_chars,
      'bytes', bytes, 'created_at', created_at)) FROM corpora WHERE id = 3`).run();
    old.prepare('DELETE FROM corpora WHERE id = 3').run();
    // A run trained on "big": its corpus keeps its id and the run keeps pointing at it.
    old.prepare(`INSERT INTO vocabularies (chars, sha256, size, created_at) VALUES ('["a"]', 'x', 1, 'now')`).run();
    old.prepare(`INSERT INTO runs (name, corpus_id, vocabulary_id, hyper, reproduction, created_at) VALUES ('on big', 1, 1, '{}', '{}', 'now')`).run();
    old.close();

    const storage = Storage.open(file);
    try {
      expect(schemaVersion(storage.db)).toBe(LATEST_VERSION);
      const columns = (storage.db.prepare('SELECT name FROM pragma_table_info(?)').all('corpora') as { name: string }[]).map((c) => c.name);
      expect(columns).not.toContain('text');
      expect(tablesOf(storage.db)).toContainEqual({ name: 'corpus_pieces', strict: 1 });
      const pieces = storage.db.prepare('SELECT corpus_id, seq, length(bytes) AS size FROM corpus_pieces ORDER BY corpus_id, seq').all();
      expect(pieces).toEqual([
        { corpus_id: 1, seq: 0, size: 16 * 2 ** 20 },
        { corpus_id: 1, seq: 1, size: Buffer.byteLength(bigText) - 16 * 2 ** 20 },
        { corpus_id: 2, seq: 0, size: 5 },
      ]);
      expect(storage.corpora.text(1) === bigText).toBe(true); // not toBe: a failure would print 17 MiB
      expect(Buffer.compare(storage.corpora.bytes(1)!, Buffer.from(bigText))).toBe(0);
      expect(storage.corpora.text(2)).toBe('hello');
      expect(storage.corpora.get(1)).toMatchObject({ name: 'big', runCount: 1, bytes: Buffer.byteLength(bigText) });

      // The trashed corpus comes back with its text, and deleting a corpus takes its pieces along.
      storage.trash.restore(1);
      expect(storage.corpora.get(3)).toMatchObject({ name: 'gone', bytes: Buffer.byteLength(`deleted ${unit}`) });
      expect(storage.corpora.text(3)).toBe(`deleted ${unit}`);
      // The trash of this schema carries the pieces: trashed and restored, the big text is whole.
      const trashed = storage.trash.trashCorpus(1);
      expect(trashed.bytes).toBeGreaterThan(Buffer.byteLength(bigText));
      expect(storage.db.prepare('SELECT count(*) AS n FROM corpus_pieces WHERE corpus_id = 1').get()).toEqual({ n: 0 });
      storage.trash.restore(trashed.id);
      expect(Buffer.compare(storage.corpora.bytes(1)!, Buffer.from(bigText))).toBe(0);
      storage.corpora.delete(1, { cascade: true });
      expect(storage.db.prepare('SELECT count(*) AS n FROM corpus_pieces WHERE corpus_id = 1').get()).toEqual({ n: 0 });
      expect(storage.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(storage.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      storage.close();
    }
  });
});

describe('upgrading', () => {
  // A stand-in for a future migration, to show an older database upgrades with its data intact.
  const addNotes: Migration = {
    version: LATEST_VERSION + 1,
    name: 'run notes',
    up(db) {
      db.exec(`ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''`);
    },
  };

  it('upgrades an older database in place and keeps its rows', () => {
    const file = path.join(dir, 'old.db');
    const old = Storage.open({ path: file });
    const { corpus } = old.corpora.add({ name: 'kept', text: 'some text that stays' });
    old.close();

    const db = openDatabase({ path: file, migrations: [...MIGRATIONS, addNotes] });
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION + 1);
      expect(db.prepare('SELECT name FROM corpora WHERE id = ?').get(corpus.id)).toEqual({ name: 'kept' });
      expect((db.prepare('SELECT name FROM pragma_table_info(?)').all('runs') as { name: string }[]).map((c) => c.name)).toContain('notes');
    } finally {
      db.close();
    }
  });

  it('runs every pending migration in one transaction: a failing one leaves the file at its old version', () => {
    const file = path.join(dir, 'half.db');
    const broken: Migration = { version: 2, name: 'broken', up(db) { db.exec('CREATE TABLE half (x INTEGER) STRICT; SELECT * FROM missing_table;'); } };
    expect(() => openDatabase({ path: file, migrations: [migration001, broken] })).toThrow(
      /Upgrading the database to schema 2 \(broken\) failed: no such table: missing_table/,
    );
    const raw = new BetterSqlite3(file);
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(0);
      expect(tablesOf(raw)).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it('opens an up-to-date database again without running anything', () => {
    const file = path.join(dir, 'twice.db');
    let calls = 0;
    const counting: Migration = { version: 1, name: 'counting', up(db) { calls++; migration001.up(db); } };
    openDatabase({ path: file, migrations: [counting] }).close();
    openDatabase({ path: file, migrations: [counting] }).close();
    expect(calls).toBe(1);
  });
});

describe('refusals', () => {
  it('refuses a database written by a newer version and leaves the file untouched', () => {
    const file = path.join(dir, 'future.db');
    // A workbench database (its tables, which a file of another program lacks) at a later schema.
    const future = new BetterSqlite3(file);
    migration001.up(future);
    future.exec('CREATE TABLE from_the_future (x INTEGER)');
    future.pragma('user_version = 7');
    future.close();
    const before = sha(file);

    let error: unknown;
    try {
      Storage.open(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(
      `This database was written by a newer Recurrent Workbench (schema 7; this version knows up to ${LATEST_VERSION}). ` +
        'Update the app or choose another database.',
    );
    expect((error as StorageError).code).toBe('conflict');
    expect(sha(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('says so when the file is not a database, without a stack trace in the message', () => {
    const file = path.join(dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not a database '.repeat(100));
    const before = sha(file);
    expect(() => Storage.open(file)).toThrow(/^"[^"]*notes\.db" is not a Recurrent Workbench database \(file is not a database\)\.$/);
    expect(sha(file)).toBe(before);
  });
});
