/**
 * The real `rnnwb` process killed mid-run (SIGKILL: no handler runs, nothing is flushed or closed).
 * Its engine ends by itself, the database it was writing stays sound, the next command shows the run
 * interrupted, and `rnnwb resume` takes it from its latest checkpoint to the step target it had.
 */
import Database from 'better-sqlite3';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { engineOf, finished, hasEnded, jsonLines, runCli, seedCorpus, startCli, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-cli-crash-');
const db = ['--db', tmp.db];
afterAll(() => tmp.remove());

/** Long enough to be mid-run at the first checkpoint, short enough that the resume ends soon. */
const STEPS = 3000;
const CHECKPOINT_EVERY = 100;

async function eventually(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `PRAGMA integrity_check` on a read-only connection, so checking cannot repair or change anything. */
function integrity(file: string): string[] {
  const connection = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (connection.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  } finally {
    connection.close();
  }
}

describe('rnnwb killed while training', () => {
  it('leaves an interrupted run in a sound database, and `resume` finishes it from its last checkpoint', async () => {
    const cli = startCli([
      'train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', String(STEPS),
      '--checkpoint-every', String(CHECKPOINT_EVERY), '--name', 'killed', '--json', ...db,
    ]);
    let stderr = '';
    cli.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const printed: Record<string, any>[] = [];
    const exited = new Promise<NodeJS.Signals | null>((resolve) => cli.on('close', (_code, signal) => resolve(signal)));
    const firstCheckpoint = await new Promise<Record<string, any>>((resolve, reject) => {
      createInterface({ input: cli.stdout! }).on('line', (line) => {
        try {
          for (const message of jsonLines(line)) {
            printed.push(message);
            if (message.type === 'checkpoint') resolve(message);
          }
        } catch (error) {
          reject(error);
        }
      });
      cli.on('close', (code) => reject(new Error(`rnnwb exited (code ${code}) before its first checkpoint: ${stderr}`)));
    });
    expect(firstCheckpoint).toMatchObject({ kind: 'periodic', step: CHECKPOINT_EVERY });
    const engine = await engineOf(cli.pid!);
    expect(hasEnded(engine)).toBe(false);

    cli.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(printed.some((m) => m.type === 'done')).toBe(false);
    // Its parent gone, the engine notices and ends by itself.
    await eventually(() => hasEnded(engine), `the engine (pid ${engine}) of the killed CLI to exit`);
    // Sound as the killed process left it, before any other process has opened it.
    expect(integrity(tmp.db)).toEqual(['ok']);

    // The next command notices the dead owner and says so on its first line.
    const show = await runCli(['show', 'killed', ...db]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.split('\n')[0]).toBe(`status: interrupted — The process training it (pid ${cli.pid}) ended without finishing the run.`);
    const detail = jsonLines((await runCli(['show', 'killed', '--json', ...db])).stdout)[0];
    expect(detail.status).toBe('interrupted');
    expect(detail.step).toBeLessThan(STEPS);
    const lastCheckpoint = Math.max(...detail.checkpoints.map((c: { step: number }) => c.step));
    expect(lastCheckpoint).toBeGreaterThanOrEqual(firstCheckpoint.step);
    expect(lastCheckpoint % CHECKPOINT_EVERY).toBe(0);

    const resumed = await finished(startCli(['resume', 'killed', '--json', ...db]));
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = jsonLines(resumed.stdout);
    expect(lines[0]).toMatchObject({ type: 'start', parentRunId: detail.id, step: lastCheckpoint, totalSteps: STEPS });
    expect(lines.find((m) => m.type === 'progress')!.step).toBe(lastCheckpoint + 1);
    expect(lines.at(-1)).toMatchObject({ type: 'done', status: 'done', step: STEPS });
    expect(integrity(tmp.db)).toEqual(['ok']);
  }, 180_000);
});
