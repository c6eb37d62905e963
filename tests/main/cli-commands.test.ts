// The CLI commands the other CLI tests reach only through their refusals, through the real `rnnwb`
// binary on a real database: a duplicate name, resume --from a named checkpoint, export with and without
// the optimizer, generate's sampling flags, a sweep, validation and early-stop flags, corpus rm.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const temp = tempDir('rw-cli-commands-');
const db = ['--db', temp.db];
const CORPUS = path.basename(seedCorpus);

beforeAll(async () => {
  const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '60', '--checkpoint-every', '20', '--name', 'base', '--json', ...db]);
  expect(trained.code, trained.stderr).toBe(0);
}, 120_000);
afterAll(() => temp.remove());

async function show(run: string): Promise<Record<string, any>> {
  const shown = await runCli(['show', run, '--json', ...db]);
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout);
}

async function runNames(): Promise<string[]> {
  return jsonLines((await runCli(['runs', '--json', ...db])).stdout).map((r) => r.name as string);
}

/** Tensor names in a .safetensors file's header. */
function tensorNames(file: string): string[] {
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, unknown>;
  return Object.keys(header).filter((k) => k !== '__metadata__');
}

describe('rnnwb commands', () => {
  it('refuses a duplicate run name, naming it, and adds no run', async () => {
    const before = await runNames();
    const dup = await runCli(['train', '--corpus', CORPUS, '--preset', 'reference', '--steps', '5', '--name', 'base', ...db]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('"base"');
    expect(await runNames()).toEqual(before);
  });

  it('resume --from continues from the named checkpoint as a linked run that keeps the step numbering', async () => {
    const resumed = await runCli(['resume', 'base', '--from', 'base@20', '--steps', '40', '--name', 'from-20', '--json', ...db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const events = jsonLines(resumed.stdout);
    const steps = events.filter((e) => e.type === 'progress').map((e) => e.step as number);
    expect(steps[0]).toBe(21);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'done', step: 40 });
    const run = await show('from-20');
    expect(run.parentRunId).toBe((await show('base')).id);
  }, 120_000);

  it('export writes the weights only, or with --with-optimizer also Adam\'s moments', async () => {
    const plain = path.join(temp.dir, 'plain.safetensors');
    const full = path.join(temp.dir, 'full.safetensors');
    expect((await runCli(['export', 'base@final', plain, ...db])).code).toBe(0);
    expect((await runCli(['export', 'base@final', full, '--with-optimizer', ...db])).code).toBe(0);
    const weights = tensorNames(plain);
    expect(weights).toContain('lstm.weight_hh_l0');
    expect(weights.some((n) => n.startsWith('optim.'))).toBe(false);
    const withOptim = tensorNames(full);
    expect(withOptim.filter((n) => !n.startsWith('optim.')).sort()).toEqual([...weights].sort());
    expect(withOptim.filter((n) => n.startsWith('optim.')).length).toBeGreaterThanOrEqual(2 * weights.length);
  });

  it('sweep trains one run per grid value, linked by one sweep', async () => {
    const swept = await runCli(['sweep', '--corpus', CORPUS, '--preset', 'reference', '--steps', '10', '--grid', 'hidden=8,16', '--name', 'sw', '--json', ...db]);
    expect(swept.code, swept.stderr).toBe(0);
    expect(jsonLines(swept.stdout).filter((e) => e.type === 'done').map((e) => e.status)).toEqual(['done', 'done']);
    const runs = jsonLines((await runCli(['runs', '--json', ...db])).stdout).filter((r) => r.sweepId !== null);
    expect(runs.map((r) => r.hyper.hidden).sort((a, b) => a - b)).toEqual([8, 16]);
    expect(new Set(runs.map((r) => r.sweepId)).size).toBe(1);
  }, 120_000);

  it('generate: the same seed gives the same text, another seed another, and --top-k 1 is greedy whatever the seed', async () => {
    // The 10-step sweep run is still unsure of itself, so sampling shows.
    const gen = async (...flags: string[]) => {
      const result = await runCli(['generate', 'sw-hidden=8', '--length', '60', '--prime', 'Hello', ...flags, ...db]);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout;
    };
    const a = await gen('--seed', '7');
    expect(await gen('--seed', '7')).toBe(a);
    expect(await gen('--seed', '8')).not.toBe(a);
    expect(await gen('--top-k', '1', '--seed', '1')).toBe(await gen('--top-k', '1', '--seed', '2'));
    expect(await gen('--top-p', '0.000001', '--seed', '3')).toBe(await gen('--top-k', '1', '--seed', '4'));
  }, 60_000);

  it('--val and --early-stop reach the run: validation losses are reported and kept with its settings', async () => {
    const trained = await runCli(['train', '--corpus', CORPUS, '--preset', 'reference', '--window', '4', '--val', '0.3', '--early-stop', '2',
      '--eval-every', '10', '--steps', '30', '--checkpoint-every', '10', '--name', 'with-val', '--json', ...db]);
    expect(trained.code, trained.stderr).toBe(0);
    const run = await show('with-val');
    expect(run.hyper.valFraction).toBe(0.3);
    expect(run.hyper.earlyStopPatience).toBe(2);
    expect(run.hyper.evalEvery).toBe(10);
    const checkpoints = jsonLines(trained.stdout).filter((e) => e.type === 'checkpoint');
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((e) => Number.isFinite(e.valLoss))).toBe(true);
  }, 120_000);

  it('corpus rm asks first, naming the runs and --cascade; with --cascade the corpus goes with its runs', async () => {
    const refused = await runCli(['corpus', 'rm', CORPUS, ...db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"base"');
    expect(refused.stderr).toContain('--cascade');
    expect((await runCli(['corpus', 'list', ...db])).stdout).toContain(CORPUS);
    const removed = await runCli(['corpus', 'rm', CORPUS, '--cascade', ...db]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await runCli(['corpus', 'list', ...db])).stdout).not.toContain(CORPUS);
    expect(await runNames()).toEqual([]);
  }, 60_000);
});
