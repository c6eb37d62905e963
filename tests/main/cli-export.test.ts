/**
 * `rnnwb export` never writes over an existing file unless asked: the real binary on a real database.
 * Without --force the old file is untouched and the refusal is one sentence; with --force it is replaced
 * by the checkpoint, and nothing is left beside it.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-export-');
const db = ['--db', tmp.db];

beforeAll(async () => {
  const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '2', '--hidden', '4', '--name', 'small', ...db]);
  expect(trained.code, trained.stderr).toBe(0);
}, 120_000);
afterAll(() => tmp.remove());

/** True when the bytes start like a safetensors file: an 8-byte header length, then a JSON header. */
function isSafetensors(bytes: Buffer): boolean {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  return Object.keys(header).some((name) => name.startsWith('lstm.'));
}

describe('rnnwb export onto an existing file', () => {
  it('writes a new file without --force', async () => {
    const file = path.join(tmp.dir, 'new.safetensors');
    const result = await runCli(['export', 'small@final', file, ...db]);
    expect(result.code, result.stderr).toBe(0);
    expect(isSafetensors(readFileSync(file))).toBe(true);
  });

  it('refuses to overwrite without --force, and leaves the old file as it was', async () => {
    const file = path.join(tmp.dir, 'precious.safetensors');
    writeFileSync(file, 'weeks of work\n');
    const result = await runCli(['export', 'small@final', file, ...db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`rnnwb: "${file}" already exists; nothing was written. Add --force to replace it.\n`);
    expect(readFileSync(file, 'utf8')).toBe('weeks of work\n');
  });

  it('replaces the file with --force, leaving no partial file behind', async () => {
    const file = path.join(tmp.dir, 'replace-me.safetensors');
    writeFileSync(file, 'old\n');
    const result = await runCli(['export', 'small@final', file, '--force', ...db]);
    expect(result.code, result.stderr).toBe(0);
    expect(isSafetensors(readFileSync(file))).toBe(true);
    expect(readdirSync(tmp.dir).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('says so in --help', async () => {
    const help = await runCli(['export', '--help']);
    expect(help.stdout).toMatch(/--force\s+replace <file> if it already exists/);
    expect(help.stdout).toMatch(/an existing file is kept unless --force/);
  });
});
