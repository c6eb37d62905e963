/**
 * Run and corpus names refuse control characters (C0, DEL, C1: a newline, a tab, an escape sequence),
 * wherever a name enters: the argument check all three transports share, and the real `rnnwb` binary on
 * a real database, where a refused name changes nothing stored.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/api/contract.ts';
import { validateCall } from '../../main/api/schemas.ts';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const CONTROL = ['\n', '\r', '\t', '\0', '\x1b', '\x7f', '\x85', '\x9b'];

/** Every call that takes a name, with that name. */
function namedCalls(name: string): [string, unknown[]][] {
  return [
    ['addCorpus', [{ name, text: 'hello' }]],
    ['updateCorpus', [1, { name }]],
    ['createRun', [{ corpusId: 1, name }]],
    ['createSweep', [{ corpusId: 1, name, grid: { hidden: [8, 16] } }]],
    ['continueRun', [{ runId: 1, name }]],
    ['renameRun', [1, name]],
    ['importCheckpoint', [{ name, bytes: new Uint8Array(1) }]],
  ];
}

function refusal(method: string, args: unknown[]): ApiError {
  try {
    validateCall(method, args);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`${method} accepted ${JSON.stringify(args)}`);
}

describe('names in the API argument check (Electron IPC, WebSocket and the CLI share it)', () => {
  it('refuses a control character in every name, saying which and where', () => {
    for (const char of CONTROL) {
      const hex = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      for (const [method, args] of namedCalls(`poems${char}2`)) {
        const error = refusal(method, args);
        expect(error.code).toBe('bad-input');
        expect(error.message).toMatch(new RegExp(`^${method}: (input\\.|patch\\.)?name: must not contain control characters .*\\(found U\\+${hex} at character 6\\)\\.$`));
      }
    }
  });

  it('accepts ordinary names, spaces and any script included', () => {
    for (const name of ['tang-300', 'Tang poems 唐诗三百首', 'café — v2', 'emoji 🙂 run']) {
      for (const [method, args] of namedCalls(name)) expect(() => validateCall(method, args)).not.toThrow();
    }
  });
});

describe('names through the rnnwb binary', () => {
  const tmp = tempDir('rnnwb-names-');
  const db = ['--db', tmp.db];
  const corpusFile = path.join(tmp.dir, 'hello.txt');
  const otherFile = path.join(tmp.dir, 'other.txt');

  beforeAll(async () => {
    copyFileSync(seedCorpus, corpusFile);
    writeFileSync(otherFile, 'a text not stored yet, so adding it would store a new corpus\n');
    const trained = await runCli(['train', '--corpus', corpusFile, '--preset', 'reference', '--steps', '2', '--hidden', '4', '--name', 'ok', ...db]);
    expect(trained.code, trained.stderr).toBe(0);
  }, 120_000);
  afterAll(() => tmp.remove());

  async function stored(): Promise<{ corpora: string; runs: string }> {
    const corpora = await runCli(['corpus', 'list', '--json', ...db]);
    const runs = await runCli(['runs', '--json', ...db]);
    return { corpora: corpora.stdout, runs: runs.stdout };
  }

  it('refuses each with one sentence and exit code 2, and stores nothing', async () => {
    const before = await stored();
    expect(jsonLines(before.runs).map((r) => r.name)).toEqual(['ok']);
    const attempts = [
      ['corpus', 'add', otherFile, '--name', 'evil\nname'],
      ['train', '--corpus', 'hello.txt', '--steps', '2', '--name', '\x1b[31mred'],
      ['rename', 'ok', 'a\tb'],
      ['resume', 'ok', '--steps', '4', '--name', 'next\x7f'],
    ];
    for (const args of attempts) {
      const result = await runCli([...args, ...db]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/name: must not contain control characters such as a line break, a tab or an escape \(found U\+00(0A|1B|09|7F) at character \d+\)\.\n$/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await stored()).toEqual(before);
  }, 120_000);
});
