/**
 * `rnnwb export-project` and `import-run` through the real CLI: a run exported as a folder, trained
 * there by /usr/bin/python3 (plain, and under our torchrun launcher with 2 processes), brought back
 * with its curves and checkpoints; importing again adds nothing; a half-written copy (a cut-off last
 * line, a cut-off checkpoint) imports what is whole and says what is not. Fails, never skips, without PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbenchService } from '../../main/api/service.ts';
import { PYTHON } from '../engine/python.ts';
import { requireTorch } from '../engine/pytorch-runs.ts';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-project-');
const db = ['--db', tmp.db];
beforeAll(() => {
  requireTorch();
  process.env.RNNWB_PYTHON = PYTHON;
});
afterAll(() => tmp.remove());

/** Runs the project's own README line in its folder. */
function runProject(dir: string, launch: string[] = []): void {
  const run = spawnSync(PYTHON, [...launch, 'trainer/main.py', '--project', '.'], { cwd: dir, encoding: 'utf8' });
  expect(run.status, `status ${run.status} signal ${run.signal}: ${run.stderr}`).toBe(0);
}

const trainLosses = (dir: string) => jsonLines(readFileSync(path.join(dir, 'events.jsonl'), 'utf8')).filter((e) => e.type === 'progress').map((e) => e.trainLoss as number);

async function show(name: string): Promise<Record<string, any>> {
  return JSON.parse((await runCli(['show', name, '--json', ...db])).stdout) as Record<string, any>;
}

describe('a run as a portable project', () => {
  it('exports, trains anywhere (plain and torchrun ×2), imports back once, and a half-written copy imports what is whole', async () => {
    for (const name of ['plain', 'ddp']) {
      const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--batch', '15', '--steps', '10', '--checkpoint-every', '5', '--engine', 'pytorch', '--name', name, ...db]);
      expect(trained.code, trained.stderr).toBe(0);
    }
    const plain = path.join(tmp.dir, 'plain');
    const ddp = path.join(tmp.dir, 'ddp');
    const exported = await runCli(['export-project', 'plain', plain, '--steps', '30', ...db]);
    expect(exported.stdout).toMatch(/^Wrote run 1 "plain" to .*: steps 11–30\./);
    expect((await runCli(['export-project', 'ddp', ddp, '--steps', '30', ...db])).code).toBe(0);
    expect(readFileSync(path.join(plain, 'README.md'), 'utf8')).toContain('torchrun --standalone --nproc_per_node=N trainer/main.py --project .');
    const again = await runCli(['export-project', 'plain', plain, ...db]);
    expect(again.stderr.trim()).toBe(`rnnwb: "${plain}" already exists and is not empty; choose a new folder for the project.`);

    runProject(plain);
    // The README's line for Debian's torch 1.13 (our launcher), 2 processes.
    const readmeLine = readFileSync(path.join(ddp, 'README.md'), 'utf8').match(/python3 (trainer\/launch\.py .*) trainer\/main\.py --project \./)![1];
    runProject(ddp, readmeLine.replace('=N', '=2').split(' '));
    const [one, two] = [trainLosses(plain), trainLosses(ddp)];
    expect(two).toHaveLength(20);
    two.forEach((loss, i) => expect(Math.abs(loss - one[i]) / one[i]).toBeLessThan(1e-5));

    // A copy as a dead rank leaves it: the last line and the last checkpoint cut off.
    const cut = path.join(tmp.dir, 'plain-cut');
    cpSync(plain, cut, { recursive: true });
    const events = path.join(cut, 'events.jsonl');
    writeFileSync(events, readFileSync(events, 'utf8').replace(/\n$/, '').slice(0, -10));
    const final = path.join(cut, 'checkpoints', 'step-000000030-final.ckpt');
    truncateSync(final, statSync(final).size - 100);

    const partial = await runCli(['import-run', cut, ...db]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout.split('\n')).toEqual([
      'Imported into run 1 "plain": 20 steps of metrics, 3 checkpoints.',
      'Not imported: The last line of events.jsonl is cut off (112 bytes without an end): left out.'.replace('112', partial.stdout.match(/cut off \((\d+) bytes/)![1]),
      `Not imported: The checkpoint of step 30 (checkpoints/step-000000030-final.ckpt) is cut off (${statSync(final).size} of ${statSync(final).size + 100} bytes): left out.`,
      'Not imported: No line says how the run ended: a process may have died. Run the project again (it resumes from its last checkpoint), then import it again.',
      '',
    ]);
    const whole = await runCli(['import-run', plain, ...db]);
    expect(whole.stdout.trim()).toBe('Imported into run 1 "plain": 0 steps of metrics, 1 checkpoints; it ended done.');
    const twice = await runCli(['import-run', plain, ...db]);
    expect(twice.stdout.trim()).toBe('Imported into run 1 "plain": 0 steps of metrics, 0 checkpoints; it ended done.');
    const run = await show('plain');
    expect(run).toMatchObject({ status: 'done', step: 30 });
    expect(run.checkpoints.map((c: { step: number; kind: string }) => `${c.step}:${c.kind}`)).toContain('30:final');

    const fromDdp = await runCli(['import-run', ddp, ...db]);
    expect(fromDdp.stdout.trim()).toBe('Imported into run 2 "ddp": 20 steps of metrics, 4 checkpoints; it ended done.');
    expect((await runCli(['show', 'ddp', ...db])).stdout).toContain('2 processes on 1 node');
  }, 300_000);

  it('refuses a folder that is not a project, in a sentence', async () => {
    const none = await runCli(['import-run', tmp.dir, ...db]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toMatch(/^rnnwb: ".*" is not an exported project: .*job\.json cannot be read \(ENOENT.*\)\.$/);
  }, 60_000);

  it('the API (the UI\'s "Export as project…" and "Import a run folder") takes full host paths and refuses a used folder unless forced', async () => {
    const api = createWorkbenchService({ dbPath: tmp.db, adoptQueued: false });
    try {
      const { id } = await api.resolveRun('plain');
      const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: Error) => error.message);
      expect(await refusal(api.exportProject({ runId: id, dir: 'relative/folder', steps: 40 }))).toBe(`"relative/folder" is not a full path; give the folder from the top, e.g. ${path.join(os.homedir(), 'my-project')}.`);
      expect(existsSync(path.resolve('relative'))).toBe(false);
      const file = path.join(tmp.dir, 'a-file');
      writeFileSync(file, 'x');
      expect(await refusal(api.exportProject({ runId: id, dir: file, steps: 40 }))).toBe(`"${file}" is a file, not a folder; choose a new folder for the project.`);
      const used = path.join(tmp.dir, 'used');
      mkdirSync(used);
      writeFileSync(path.join(used, 'notes.txt'), 'mine');
      expect(await refusal(api.exportProject({ runId: id, dir: used, steps: 40 }))).toBe(`"${used}" already exists and is not empty; choose a new folder for the project.`);
      expect(existsSync(path.join(used, 'job.json'))).toBe(false);
      const forced = await api.exportProject({ runId: id, dir: used, steps: 40, force: true });
      expect(forced).toMatchObject({ dir: used, startStep: 30, targetSteps: 40, command: 'python3 trainer/main.py --project .' });
      expect(forced.files).toEqual(expect.arrayContaining(['job.json', 'corpus.txt', 'start.ckpt', 'README.md', 'trainer/main.py']));
      expect(readFileSync(path.join(used, 'notes.txt'), 'utf8')).toBe('mine'); // written beside, nothing else touched
      expect(forced.readme).toBe(readFileSync(path.join(used, 'README.md'), 'utf8'));
      // Not run yet: nothing to add, and the sentence says why.
      expect(await api.importRun({ dir: used })).toMatchObject({ name: 'plain', progressAdded: 0, checkpointsAdded: 0, missing: ['There is no events.jsonl: the project has not run yet.'] });
      expect(await refusal(api.importRun({ dir: 'relative' }))).toMatch(/^"relative" is not a full path/);
    } finally {
      await api.close();
    }
  }, 60_000);
});
