/**
 * Bad input to the CLI: exit code 2, one readable line on stderr (never a stack trace), and the
 * database exactly as it was.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-cli-errors-');
const db = ['--db', tmp.db];

/** Every row of every table, read straight from the SQLite file. */
async function snapshot(): Promise<string> {
  const sqlite = new Database(tmp.db, { readonly: true });
  try {
    const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    expect(tables.length).toBeGreaterThan(0);
    return JSON.stringify(tables.map(({ name }) => [name, sqlite.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    sqlite.close();
  }
}

/** Runs a command that must be refused; returns its single stderr line. */
async function refused(args: string[]): Promise<string> {
  const before = await snapshot();
  const result = await runCli([...args, ...db]);
  expect(result.code, `${args.join(' ')} → ${result.stderr}`).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\bat .+:\d+:\d+/);
  expect(lines[0]).not.toMatch(/Error:/);
  expect(await snapshot()).toBe(before);
  return lines[0];
}

beforeAll(async () => {
  // One real run to refer to (short: a few steps).
  const result = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '3', '--name', 'tiny', '--json', ...db]);
  if (result.code !== 0) throw new Error(`train exited ${result.code}: ${result.stderr}`);
}, 120_000);

afterAll(() => tmp.remove());

describe('rnnwb refuses bad input with exit code 2 and changes nothing', () => {
  it('an empty corpus file', async () => {
    const empty = path.join(tmp.dir, 'empty.txt');
    writeFileSync(empty, '');
    expect(await refused(['train', '--corpus', empty, '--preset', 'reference'])).toMatch(/empty/);
    expect(await refused(['corpus', 'add', empty])).toMatch(/empty/);
  });

  it('a corpus shorter than the window + 1', async () => {
    const short = path.join(tmp.dir, 'short.txt');
    writeFileSync(short, 'Hello RNN');
    expect(await refused(['train', '--corpus', short, '--preset', 'reference'])).toMatch(/9 characters.*at least 11/);
  });

  it('invalid hyperparameters', async () => {
    expect(await refused(['train', '--corpus', seedCorpus, '--hidden', '0'])).toMatch(/Hidden size must be a whole number from 1/);
    expect(await refused(['train', '--corpus', seedCorpus, '--lr', 'nan'])).toMatch(/nan/);
    expect(await refused(['train', '--corpus', seedCorpus, '--dropout', '2'])).toMatch(/Dropout/);
    expect(await refused(['train', '--corpus', seedCorpus, '--cell', 'transformer'])).toMatch(/transformer/);
    expect(await refused(['train', '--corpus', seedCorpus, '--epochs', '3', '--steps', '3'])).toMatch(/--epochs or --steps/);
    expect(await refused(['train', '--corpus', 'no-such-corpus'])).toMatch(/No corpus named "no-such-corpus"/);
    expect(await refused(['sweep', '--corpus', seedCorpus, '--grid', 'hidden=8,0'])).toMatch(/Hidden size/);
  });

  it('an unknown run or checkpoint reference', async () => {
    expect(await refused(['show', 'nope'])).toMatch(/nope/);
    expect(await refused(['rm', 'nope'])).toMatch(/nope/);
    expect(await refused(['predict', 'tiny@999', 'Hello, RNN'])).toMatch(/999/);
    expect(await refused(['predict', '#987654', 'Hello, RNN'])).toMatch(/987654/);
    expect(await refused(['export', 'nope@final', path.join(tmp.dir, 'x.safetensors')])).toMatch(/nope/);
  });

  it('a corrupt .safetensors file', async () => {
    const corrupt = path.join(tmp.dir, 'corrupt.safetensors');
    writeFileSync(corrupt, Buffer.from('this is not a safetensors file at all'));
    expect(await refused(['import', corrupt, '--name', 'broken'])).toBeTruthy();
    expect(await refused(['import', path.join(tmp.dir, 'missing.safetensors')])).toMatch(/Cannot read/);
  });

  it('unknown commands and options', async () => {
    expect(await refused(['train', '--corpus', seedCorpus, '--hiddden', '8'])).toMatch(/unknown option/);
    expect(await refused(['frobnicate'])).toMatch(/unknown command/);
  });
});
