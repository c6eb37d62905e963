/**
 * `rnnwb train` with its database on a disk that fills up while it trains: a real tmpfs of 2 MB and
 * one of 3 MB (each 1 MB checkpoint fills it within a few seconds; before the fix the 2 MB one ended
 * "done", exit 0, with hundreds of stack traces, and the 3 MB one never exited). Now the run stops at
 * the first refused write: 'failed' with a sentence that says the disk is full, exit 1, its engine
 * ended, the database sound, and every checkpoint that was written loads.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { engineOf, finished, hasEnded, jsonLines, runCli, seedCorpus, startCli } from './cli-helpers.ts';

const SIZES_MB = [2, 3];
const root = mkdtempSync(path.join(tmpdir(), 'rnnwb-disk-full-'));
const mounts = SIZES_MB.map((mb) => ({ mb, dir: path.join(root, `${mb}m`) }));

beforeAll(() => {
  // Mounting needs root; without it the test fails (a skipped test would hide the promise it holds).
  for (const { mb, dir } of mounts) {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
  }
});

afterAll(() => {
  for (const { dir } of mounts) {
    try {
      execFileSync('umount', [dir]);
    } catch {
      // not mounted: beforeAll failed and said why
    }
  }
  rmSync(root, { recursive: true, force: true });
});

interface RunRow { status: string; reason: string | null; step: number; owner_pid: number | null }

/** What is stored, read on a read-only connection so that looking cannot change anything. */
function stored(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check),
      run: db.prepare('SELECT status, reason, step, owner_pid FROM runs').get() as RunRow,
      lastMetricStep: (db.prepare('SELECT max(step) AS step FROM metrics').get() as { step: number }).step,
      checkpoints: db.prepare('SELECT step, bytes FROM checkpoints ORDER BY step').all() as { step: number; bytes: Buffer }[],
    };
  } finally {
    db.close();
  }
}

describe('rnnwb train on a disk that fills up', () => {
  for (const { mb, dir } of mounts) {
    it(`${mb} MB tmpfs: fails at the first refused write with "The disk is full", exit 1, engine gone, database sound`, async () => {
      const db = path.join(dir, 'w.db');
      // hidden 128: a checkpoint (weights and Adam state) is about 1 MB.
      const cli = startCli([
        'train', '--corpus', seedCorpus, '--hidden', '128', '--steps', '400', '--checkpoint-every', '10',
        '--name', 'full', '--json', '--db', db,
      ]);
      const done = finished(cli);
      // A CLI that hangs (as the 3 MB one did) fails the test here rather than at the test timeout.
      const guard = setTimeout(() => cli.kill('SIGKILL'), 90_000);
      const engine = await engineOf(cli.pid!);
      const result = await done;
      clearTimeout(guard);

      expect(result.signal, 'the CLI exited by itself').toBeNull();
      expect(result.code, result.stderr).toBe(1);
      // No stack traces, no SqliteError dumps: at most the one line that announced the run.
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toMatch(/SqliteError|SQLITE_FULL/);
      const last = jsonLines(result.stdout).at(-1)!;
      expect(last).toMatchObject({ type: 'done', status: 'failed' });
      expect(last.reason).toMatch(
        new RegExp(`^The disk is full: the checkpoint at step (\\d+) could not be written to "${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\. Free some space`),
      );
      const failedAt = Number(/at step (\d+)/.exec(last.reason)![1]);
      expect(hasEnded(engine), `the engine (pid ${engine}) ended`).toBe(true);

      const after = stored(db);
      expect(after.integrity).toEqual(['ok']);
      expect(after.run).toMatchObject({ status: 'failed', reason: last.reason, owner_pid: null });
      // It stopped at that write: the stored step agrees with the metrics, and the newest
      // checkpoint is the one before the refused one.
      expect(after.run.step).toBe(after.lastMetricStep);
      expect(after.run.step).toBeGreaterThanOrEqual(failedAt);
      expect(after.run.step).toBeLessThan(failedAt + 10);
      expect(after.checkpoints.map((c) => c.step)).toEqual(Array.from({ length: failedAt / 10 - 1 }, (_, i) => (i + 1) * 10));
      for (const checkpoint of after.checkpoints) {
        expect(decodeCheckpoint(new Uint8Array(checkpoint.bytes)).step).toBe(checkpoint.step);
      }
      // And the newest one generates text through the CLI, on that same full disk.
      const newest = after.checkpoints.at(-1)!.step;
      const generated = await runCli(['generate', `full@${newest}`, '--length', '20', '--seed', '1', '--db', db]);
      expect(generated.code, generated.stderr).toBe(0);
      expect(Array.from(generated.stdout.trim()).length).toBeGreaterThan(0);
    }, 150_000);
  }
});
