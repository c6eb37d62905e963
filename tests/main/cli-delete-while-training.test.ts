/**
 * Deleting what another process is training, with two real `rnnwb` processes on one database: `rm`
 * (and `corpus rm --cascade`) refuses with a sentence naming the trainer, which trains on untouched;
 * with --force the trainer is asked to stop, ends by itself with no stack trace and no engine left,
 * and only then is the run deleted. The same through the service API. A trainer whose run is deleted
 * anyway (by a process that does not ask) ends its engine quietly.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createWorkbenchService } from '../../main/api/service.ts';
import { engineOf, finished, hasEnded, jsonLines, runCli, seedCorpus, startCli, tempDir, type CliResult } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-delete-training-');
const db = ['--db', tmp.db];
const CORPUS = 'seed-hello-rnn.txt';
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => tmp.remove());

interface Trainer {
  child: ChildProcess;
  engine: number;
  /** Progress lines printed so far. */
  progress(): number;
  result: Promise<CliResult>;
}

/** A long `rnnwb train --json`, once it has reported progress. */
async function startTrainer(name: string): Promise<Trainer> {
  const child = startCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '1000000', '--name', name, '--json', ...db]);
  started.push(child);
  let progress = 0;
  const result = finished(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"type":"progress"') && ++progress === 3) resolve();
    });
    void result.then((r) => reject(new Error(`the trainer exited before training: ${r.stderr}`)));
  });
  return { child, engine: await engineOf(child.pid!), progress: () => progress, result };
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Still training: more progress comes, the engine lives. */
async function trainsOn(trainer: Trainer): Promise<void> {
  const seen = trainer.progress();
  await until(() => trainer.progress() > seen + 2, 'more progress from the trainer');
  expect(hasEnded(trainer.engine)).toBe(false);
  expect(trainer.child.exitCode).toBeNull();
}

/** Ended by itself, with one clean last line and no stack trace; its engine gone. */
async function endedCleanly(trainer: Trainer): Promise<Record<string, any>> {
  const result = await trainer.result;
  expect(result.signal).toBeNull();
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).not.toMatch(/^\s+at |Error:/m);
  await until(() => hasEnded(trainer.engine), `the trainer's engine (pid ${trainer.engine}) to end`);
  return jsonLines(result.stdout).at(-1)!;
}

const runNames = async () => jsonLines((await runCli(['runs', '--json', ...db])).stdout).map((r) => r.name);

function integrity(): string[] {
  const connection = new Database(tmp.db, { readonly: true, fileMustExist: true });
  try {
    return (connection.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    connection.close();
  }
}

describe('deleting a run another rnnwb process is training', () => {
  it('`rm` refuses naming the process; `rm --force` has it stop the run, then deletes it', async () => {
    const trainer = await startTrainer('long');
    const refused = await runCli(['rm', 'long', ...db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `rnnwb: Run "long" is training in another workbench process (pid ${trainer.child.pid}, host ${hostname()}); stop it there, or use --force to stop it first.\n`,
    );
    await trainsOn(trainer);

    const forced = await runCli(['rm', 'long', '--force', ...db]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^Deleted run \d+ "long"/);
    // The trainer had stopped before the deletion: its last word is the stop, not an error.
    expect(await endedCleanly(trainer)).toMatchObject({
      type: 'done', status: 'stopped', reason: 'Stopped at the request of another workbench process.',
    });
    expect(await runNames()).not.toContain('long');
    expect(integrity()).toEqual(['ok']);
  }, 120_000);

  it('`corpus rm --cascade` refuses while a run on it trains elsewhere; with --force it stops it, then removes both', async () => {
    const trainer = await startTrainer('on-the-corpus');
    const refused = await runCli(['corpus', 'rm', CORPUS, '--cascade', ...db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `rnnwb: Corpus "${CORPUS}" is used by run "on-the-corpus", which is training in another workbench process ` +
        `(pid ${trainer.child.pid}, host ${hostname()}); stop it there, or use --force to stop it first.\n`,
    );
    await trainsOn(trainer);

    const forced = await runCli(['corpus', 'rm', CORPUS, '--cascade', '--force', ...db]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^Removed corpus "${CORPUS}"\\. It is in the trash: \`rnnwb restore \\d+\` puts it back`));
    expect(await endedCleanly(trainer)).toMatchObject({ type: 'done', status: 'stopped' });
    expect(await runNames()).not.toContain('on-the-corpus');
    expect(jsonLines((await runCli(['corpus', 'list', '--json', ...db])).stdout).map((c) => c.name)).not.toContain(CORPUS);
  }, 120_000);

  it('through the service API: refused with the same sentence, and with `force` stopped there first', async () => {
    const trainer = await startTrainer('via-api');
    const api = createWorkbenchService({ dbPath: tmp.db, adoptQueued: false });
    try {
      const run = await api.resolveRun('via-api');
      await expect(api.deleteRun(run.id)).rejects.toMatchObject({
        // In words for every transport: the CLI names its --force flag, the UI its button.
        code: 'trained-elsewhere',
        message: `Run "via-api" is training in another workbench process (pid ${trainer.child.pid}, host ${hostname()}); stop it there, or delete it with force to stop it first.`,
      });
      await trainsOn(trainer);
      await api.deleteRun(run.id, { force: true });
      await expect(api.getRun(run.id)).rejects.toMatchObject({ code: 'not-found' });
    } finally {
      await api.close();
    }
    expect(await endedCleanly(trainer)).toMatchObject({ status: 'stopped' });
  }, 120_000);

  it('a trainer whose run is deleted anyway (by a process that does not ask) ends its engine quietly', async () => {
    const trainer = await startTrainer('pulled');
    const connection = new Database(tmp.db);
    try {
      connection.pragma('foreign_keys = ON');
      connection.pragma('busy_timeout = 5000');
      connection.prepare('DELETE FROM runs WHERE name = ?').run('pulled');
    } finally {
      connection.close();
    }
    expect(await endedCleanly(trainer)).toMatchObject({
      type: 'done', status: 'deleted', reason: 'Another workbench process deleted it while it trained; its training was ended.',
    });
  }, 120_000);
});
