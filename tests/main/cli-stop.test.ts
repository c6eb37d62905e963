/** Ctrl-C during `rnnwb train`: a clean stop with a final checkpoint, exit code 130. */
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, seedCorpus, startCli, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-cli-stop-');
const db = ['--db', tmp.db];
afterAll(() => tmp.remove());

describe('SIGINT during training', () => {
  it('stops the run with a checkpoint and exits 130', async () => {
    // Long enough that it is still training when the signal comes.
    const child = startCli(
      ['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '1000000', '--name', 'long', '--json', ...db],
      { ownProcessGroup: true },
    );
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        // Signal once training has reported progress a few times.
        if ((stdout.match(/"type":"progress"/g) ?? []).length >= 3) resolve();
      });
      child.on('close', () => reject(new Error(`exited before training: ${stderr}`)));
    });
    // Ctrl-C in a terminal signals the whole foreground group: the CLI and its engine process alike.
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);

    const lines = jsonLines(stdout);
    const done = lines.at(-1)!;
    expect(done.type).toBe('done');
    expect(done.status).toBe('stopped');
    expect(done.step).toBeGreaterThan(0);
    expect(done.step).toBeLessThan(1_000_000);

    const show = await runCli(['show', 'long', ...db]);
    expect(show.stdout.split('\n')[0]).toMatch(/^status: stopped/);
    const detail = jsonLines((await runCli(['show', 'long', '--json', ...db])).stdout)[0];
    expect(detail.status).toBe('stopped');
    expect(detail.checkpoints.length).toBeGreaterThan(0);
    // The stop's checkpoint is at the step the run reached.
    expect(Math.max(...detail.checkpoints.map((c: { step: number }) => c.step))).toBe(done.step);

    // And it can go on from there.
    const resumed = await runCli(['resume', 'long', '--steps', String(done.step + 5), '--json', ...db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout).at(-1)).toMatchObject({ type: 'done', status: 'done', step: done.step + 5 });
  });
});
