/**
 * `--db` paths through the real CLI: another program's SQLite file is refused by every command and
 * left byte for byte as it was; commands that only read create nothing; a folder, a path under a
 * file and a read-only folder each get one true sentence, exit code 2 and no stack trace.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';
import { mountScratchFolder, type ReadOnlyFolder } from './read-only-folder.ts';

const tmp = tempDir('rnnwb-db-paths-');
afterAll(() => tmp.remove());

/** Every command that only reads, with arguments it would accept on a database holding a run "r". */
const READING_COMMANDS = [
  ['runs'], ['show', 'r'], ['compare', 'r'], ['corpus', 'list'], ['eval', 'r', '--corpus', seedCorpus],
  ['predict', 'r', 'Hel'], ['generate', 'r'], ['export', 'r', path.join(tmp.dir, 'r.safetensors')],
];

/** Runs a command that must be refused; returns its one stderr line. */
async function refused(args: string[]): Promise<string> {
  const result = await runCli(args);
  expect(result.code, `${args.join(' ')} → ${result.stderr}`).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\bat .+:\d+:\d+|Error:/);
  return lines[0].replace(/^rnnwb: /, '');
}

function fingerprint(file: string): { sha: string; mtimeMs: number; folder: string[] } {
  return {
    sha: createHash('sha256').update(readFileSync(file)).digest('hex'),
    mtimeMs: statSync(file).mtimeMs,
    folder: readdirSync(path.dirname(file)).sort(),
  };
}

describe("another program's SQLite file", () => {
  it('is refused by reading and writing commands alike and stays byte-identical, with no -wal or -shm beside it', async () => {
    const folder = path.join(tmp.dir, 'other');
    mkdirSync(folder);
    const file = path.join(folder, 'other.db');
    const other = new BetterSqlite3(file);
    other.pragma('journal_mode = WAL');
    other.exec('CREATE TABLE x (a INTEGER); CREATE TABLE y (b TEXT); INSERT INTO x VALUES (1)');
    other.close();
    const before = fingerprint(file);
    expect(before.folder).toEqual(['other.db']);

    const sentence = `"${file}" is a SQLite database of another program (it has tables "x", "y"); Recurrent Workbench will not change it. Choose another file.`;
    for (const args of [['runs'], ['corpus', 'list'], ['corpus', 'add', seedCorpus], ['train', '--corpus', seedCorpus, '--steps', '2']]) {
      expect(await refused([...args, '--db', file])).toBe(sentence);
      expect(fingerprint(file)).toEqual(before);
    }
  }, 60_000);
});

describe('commands that only read', () => {
  it('create no folder and no database where there is none, and say how to make one', async () => {
    const file = path.join(tmp.dir, 'not-yet', 'workbench.db');
    for (const args of READING_COMMANDS) {
      expect(await refused([...args, '--db', file])).toBe(
        `There is no database at "${file}" yet; a command that only reads does not create one. ` +
          'A command that writes creates or upgrades it: `rnnwb corpus add FILE`, `rnnwb train --corpus FILE` or `rnnwb serve`.',
      );
      expect(existsSync(path.join(tmp.dir, 'not-yet')), args.join(' ')).toBe(false);
    }
    // A command that writes still makes the folder and the database.
    const added = await runCli(['corpus', 'add', seedCorpus, '--db', file]);
    expect(added.code, added.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
  }, 120_000);
});

describe('wrong paths', () => {
  it('a path under a file names the file', async () => {
    const notes = path.join(tmp.dir, 'somefile.txt');
    writeFileSync(notes, 'notes');
    const file = path.join(notes, 'x.db');
    for (const args of [['runs'], ['corpus', 'add', seedCorpus]]) {
      expect(await refused([...args, '--db', file])).toBe(
        `"${notes}" is a file, not a folder, so the database "${file}" cannot be made under it. Choose another path.`,
      );
    }
    expect(readFileSync(notes, 'utf8')).toBe('notes');
  }, 60_000);

  it('a folder given as the database says it is a folder', async () => {
    const folder = path.join(tmp.dir, 'a-folder');
    mkdirSync(folder);
    for (const args of [['runs'], ['corpus', 'add', seedCorpus]]) {
      expect(await refused([...args, '--db', folder])).toBe(
        `"${folder}" is a folder, not a database file. Give the path of a file in it, e.g. "${path.join(folder, 'workbench.db')}".`,
      );
    }
    expect(readdirSync(folder)).toEqual([]);
  }, 60_000);
});

describe('a database in a read-only folder (a tmpfs remounted read-only)', () => {
  let readOnly: ReadOnlyFolder | undefined;
  beforeAll(() => { readOnly = mountScratchFolder('rnnwb-db-ro-'); });
  afterAll(() => readOnly?.remove());
  it('is listed; a command that writes is refused with the reason; the file stays as it was', async () => {
    const folder = readOnly!.dir;
    const file = path.join(folder, 'workbench.db');
    const added = await runCli(['corpus', 'add', seedCorpus, '--db', file]);
    expect(added.code, added.stderr).toBe(0);
    readOnly!.freeze();
    const before = fingerprint(file);

    const corpora = await runCli(['corpus', 'list', '--json', '--db', file]);
    expect(corpora.code, corpora.stderr).toBe(0);
    expect(jsonLines(corpora.stdout).map((c) => c.name)).toEqual([path.basename(seedCorpus)]);
    const runs = await runCli(['runs', '--db', file]);
    expect(runs.code, runs.stderr).toBe(0);

    const sentence = `The database "${file}" can only be read: the folder "${folder}" is not writable, so Recurrent Workbench cannot change it.`;
    expect(await refused(['corpus', 'add', seedCorpus, '--name', 'again', '--db', file])).toBe(sentence);
    expect(await refused(['rm', 'r', '--db', file])).toBe(sentence);
    expect(fingerprint(file)).toEqual(before);
  }, 60_000);
});
