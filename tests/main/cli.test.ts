/**
 * The CLI end to end: the real `rnnwb` binary in a child process, a real database in a temp folder,
 * the reference run trained for real.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const sentence = readFileSync(seedCorpus, 'utf8');
const window = PRESETS.reference.hyper.window;
const tmp = tempDir('rnnwb-cli-');
const db = ['--db', tmp.db];

let lines: Record<string, any>[] = [];
let trainExit: number | null = null;

beforeAll(async () => {
  const result = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--name', 'hello', '--json', ...db]);
  trainExit = result.code;
  if (result.code !== 0) throw new Error(`train exited ${result.code}: ${result.stderr}`);
  lines = jsonLines(result.stdout);
}, 600_000);

afterAll(() => tmp.remove());

describe('rnnwb train --preset reference --json', () => {
  it('emits start, progress, checkpoint and a final done line, and exits 0', () => {
    expect(trainExit).toBe(0);
    const start = lines[0];
    expect(start.type).toBe('start');
    expect(start.name).toBe('hello');
    expect(start.hyper).toEqual(PRESETS.reference.hyper);
    expect(start.totalSteps).toBe(PRESETS.reference.hyper.epochs);

    const progress = lines.filter((l) => l.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.runId).toBe(start.runId);
      expect(Number.isFinite(p.trainLoss)).toBe(true);
      expect(typeof p.epoch).toBe('number');
    }
    const steps = progress.map((p) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    // The loss falls: the last report is far below the first.
    expect(progress.at(-1)!.trainLoss).toBeLessThan(progress[0].trainLoss / 10);

    const checkpoints = lines.filter((l) => l.type === 'checkpoint');
    expect(checkpoints.some((c) => c.kind === 'final' && c.step === start.totalSteps)).toBe(true);
    for (const c of checkpoints) expect(Number.isInteger(c.id)).toBe(true);

    const done = lines.at(-1)!;
    expect(done).toMatchObject({ type: 'done', status: 'done', step: start.totalSteps });
    expect(done.trainLoss).toBeCloseTo(progress.at(-1)!.trainLoss, 6);
    expect(done.valLoss).toBeNull();
  });

  it('stores the run, its metrics and checkpoints: show says so on its first line', async () => {
    const show = await runCli(['show', 'hello', ...db]);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n')[0]).toBe('status: done');

    const detail = jsonLines((await runCli(['show', 'hello', '--json', ...db])).stdout)[0];
    expect(detail.status).toBe('done');
    expect(detail.step).toBe(PRESETS.reference.hyper.epochs);
    expect(detail.checkpoints.length).toBeGreaterThan(0);
    expect(detail.reproduction.seed).toBe(PRESETS.reference.hyper.seed);

    const runs = jsonLines((await runCli(['runs', '--json', ...db])).stdout);
    expect(runs.map((r) => r.name)).toEqual(['hello']);
    const corpora = jsonLines((await runCli(['corpus', 'list', '--json', ...db])).stdout);
    expect(corpora).toHaveLength(1);
    expect(corpora[0]).toMatchObject({ name: path.basename(seedCorpus), chars: sentence.length, runCount: 1 });
  });

  it('predict gives every window of the reference sentence its next character', async () => {
    const windows: string[] = [];
    for (let i = 0; i + window < sentence.length; i++) windows.push(sentence.slice(i, i + window));
    expect(windows).toHaveLength(92);
    const result = await runCli(['predict', 'hello', ...windows, '--top', '3', '--json', ...db]);
    expect(result.code).toBe(0);
    const predictions = jsonLines(result.stdout);
    expect(predictions).toHaveLength(92);
    predictions.forEach((prediction, i) => {
      expect(prediction.text).toBe(windows[i]);
      expect(prediction.top).toHaveLength(3);
      const ps = prediction.top.map((t: { p: number }) => t.p);
      expect([...ps].sort((a, b) => b - a)).toEqual(ps);
      expect(prediction.top[0].char).toBe(sentence[i + window]);
    });
  });

  it('predict notes a text shorter than the window', async () => {
    const result = await runCli(['predict', 'hello@final', 'Hell', '--json', ...db]);
    expect(result.code).toBe(0);
    const [prediction] = jsonLines(result.stdout);
    expect(prediction.text).toBe('Hell');
    expect(typeof prediction.note).toBe('string');
  });

  it('a file already stored is reused by content, not stored twice', async () => {
    const result = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '5', '--name', 'again', '--json', ...db]);
    expect(result.code).toBe(0);
    const corpora = jsonLines((await runCli(['corpus', 'list', '--json', ...db])).stdout);
    expect(corpora).toHaveLength(1);
    expect(corpora[0].runCount).toBe(2);
    const done = jsonLines(result.stdout).at(-1)!;
    expect(done).toMatchObject({ type: 'done', status: 'done', step: 5 });
    // Explicit flags override the preset.
    expect(jsonLines(result.stdout)[0].hyper).toMatchObject({ ...PRESETS.reference.hyper, steps: 5 });
    expect((await runCli(['rm', 'again', ...db])).code).toBe(0);
  });

  it('export and import round-trip a checkpoint: same predictions', async () => {
    const file = path.join(tmp.dir, 'hello.safetensors');
    const exported = await runCli(['export', 'hello@final', file, ...db]);
    expect(exported.code).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(1000);

    const imported = await runCli(['import', file, '--name', 'copy', '--json', ...db]);
    expect(imported.code).toBe(0);
    const copy = jsonLines(imported.stdout)[0];
    expect(copy.name).toBe('copy');
    expect(copy.hyper.cell).toBe('lstm');

    const texts = [sentence.slice(0, window), sentence.slice(40, 40 + window)];
    const original = jsonLines((await runCli(['predict', 'hello@final', ...texts, '--json', ...db])).stdout);
    const again = jsonLines((await runCli(['predict', 'copy', ...texts, '--json', ...db])).stdout);
    expect(again.map((p) => p.top)).toEqual(original.map((p) => p.top));
  });

  it('generate and eval use a checkpoint', async () => {
    const generated = await runCli(['generate', 'hello', '--prime', sentence.slice(0, window), '--length', '30', '--temperature', '0', '--json', ...db]);
    expect(generated.code).toBe(0);
    const { text } = jsonLines(generated.stdout)[0];
    expect(typeof text).toBe('string');
    expect(text.length).toBeGreaterThanOrEqual(30);

    const evaluated = await runCli(['eval', 'hello', '--corpus', seedCorpus, '--json', ...db]);
    expect(evaluated.code).toBe(0);
    const result = jsonLines(evaluated.stdout)[0];
    expect(result.windows).toBe(92);
    expect(result.accuracy).toBe(1);
    expect(result.bitsPerChar).toBeCloseTo(result.loss / Math.LN2, 6);
  });

  it('resume continues as a linked run keeping the step numbering', async () => {
    const total = PRESETS.reference.hyper.epochs + 20;
    const result = await runCli(['resume', 'hello', '--steps', String(total), '--name', 'hello-more', '--json', ...db]);
    expect(result.code).toBe(0);
    const out = jsonLines(result.stdout);
    const original = jsonLines((await runCli(['show', 'hello', '--json', ...db])).stdout)[0];
    expect(out[0]).toMatchObject({ type: 'start', name: 'hello-more', parentRunId: original.id });
    const progress = out.filter((l) => l.type === 'progress');
    expect(progress[0].step).toBeGreaterThan(PRESETS.reference.hyper.epochs);
    expect(out.at(-1)).toMatchObject({ type: 'done', status: 'done', step: total });
  });

  it('rename and compare', async () => {
    expect((await runCli(['rename', 'hello-more', 'longer', ...db])).code).toBe(0);
    const csv = await runCli(['compare', 'hello', 'longer', '--csv', ...db]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toContain('hello');
    expect(csv.stdout).toContain('longer');
    const table = await runCli(['compare', 'hello', 'longer', ...db]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/hello.*longer/);
  });
});
