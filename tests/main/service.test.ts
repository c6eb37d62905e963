/**
 * The in-process WorkbenchApi on a real database file with real engine processes: corpora, runs,
 * references, the playground, compare, import/export — and for bad input, a readable error that
 * leaves every table exactly as it was.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { ApiError, type RunEvent, type RunSummary } from '../../main/api/contract.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { REPO_ROOT } from '../../main/runs/launcher.ts';
import { seedCorpusText } from './run-helpers.ts';

const TABLES = ['corpora', 'vocabularies', 'sweeps', 'runs', 'metrics', 'checkpoints', 'samples'];

let dir: string;
let api: WorkbenchService;
let corpusId: number;
/** The reference run (made small so it trains in seconds) and a second, different run with validation. */
let reference: RunSummary;
let other: RunSummary;
const events: RunEvent[] = [];

function rowCounts(): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t, (api.storage.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

/** The call fails with this message and changes no table. */
async function refuses(call: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  const before = rowCounts();
  await expect(call()).rejects.toThrow(message);
  await call().catch((error: unknown) => expect(error).toBeInstanceOf(ApiError));
  expect(rowCounts()).toEqual(before);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'service-'));
  api = createWorkbenchService({ dbPath: path.join(dir, 'workbench.db'), concurrency: 2 });
  api.onRunEvent((e) => events.push(e));
  corpusId = (await api.addCorpus({ name: 'hello', text: seedCorpusText, source: 'seed-hello-rnn.txt' })).id;
  reference = await api.createRun({ corpusId, preset: 'reference', name: 'reference', hyper: { hidden: 16, embed: 8, steps: 200, lr: 0.02 } });
  other = await api.createRun({
    corpusId, preset: 'reference', name: 'other',
    hyper: { cell: 'gru', hidden: 8, embed: 4, steps: 30, valFraction: 0.2, evalEvery: 10, checkpointEvery: 10 },
  });
  await Promise.all([api.runs.whenSettled(reference.id), api.runs.whenSettled(other.id)]);
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runs through the service', () => {
  it('trained both runs to the end and told subscribers', async () => {
    const runs = await api.listRuns();
    expect(runs.map((r) => [r.name, r.status, r.step])).toEqual([['other', 'done', 30], ['reference', 'done', 200]]);
    const detail = await api.getRun(reference.id);
    expect(detail.reproduction).toMatchObject({ seed: 42, corpusSha256: (await api.getCorpus(corpusId)).sha256 });
    expect(detail.reproduction.appVersion).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    expect(detail.reproduction.hyper.hidden).toBe(16);
    expect(detail.checkpoints.map((c) => c.kind)).toEqual(['final']);
    expect(detail.vocab).toEqual([...new Set(Array.from(seedCorpusText))].sort());
    expect(detail.latestSample?.checkpointId).toBe(detail.checkpoints[0].id);
    const kinds = new Set(events.filter((e) => e.runId === reference.id).map((e) => e.type));
    expect(kinds).toEqual(new Set(['created', 'status', 'progress', 'checkpoint', 'sample']));
    expect((await api.runMetrics(reference.id)).length).toBe(200);
    expect((await api.runMetrics(reference.id, { maxPoints: 20 })).length).toBeLessThanOrEqual(40);
  });

  it('predicts the next character of every window of the reference sentence', async () => {
    const checkpoint = await api.resolveCheckpoint('reference@final');
    const chars = Array.from(seedCorpusText);
    const misses: string[] = [];
    for (let i = 0; i + 10 < chars.length; i++) {
      const window = chars.slice(i, i + 10).join('');
      const result = await api.predict({ checkpointId: checkpoint.id, text: window, k: 3 });
      expect(result.top).toHaveLength(3);
      if (result.top[0].char !== chars[i + 10]) misses.push(`${JSON.stringify(window)} → ${result.top[0].char}`);
    }
    expect(misses).toEqual([]);
    const short = await api.predict({ checkpointId: checkpoint.id, text: chars.slice(0, 4).join('') });
    expect(short.note).toMatch(/reads/);
    const evaluation = await api.evaluate({ checkpointId: checkpoint.id });
    expect(evaluation.accuracy).toBe(1);
    expect(evaluation.windows).toBe(chars.length - 10);
    expect(evaluation.bitsPerChar).toBeCloseTo(evaluation.loss / Math.LN2, 12);
  });

  it('generates and traces', async () => {
    const checkpoint = await api.resolveCheckpoint('reference');
    const generated = await api.generate({ checkpointId: checkpoint.id, prime: Array.from(seedCorpusText).slice(0, 10).join(''), length: 50, temperature: 0 });
    expect(Array.from(generated.text)).toHaveLength(50);
    // Greedy generation of a model that knows the sentence by heart continues the sentence.
    expect(seedCorpusText.slice(10)).toContain(generated.text.slice(0, 20));
    // No prime: it starts from the run's sample prompt (the start of its corpus), and says so.
    const unprimed = await api.generate({ checkpointId: checkpoint.id, prime: '', length: 20, temperature: 0 });
    expect(unprimed.prime).toBe(Array.from(seedCorpusText).slice(0, 10).join(''));
    expect(unprimed.text).toBe(generated.text.slice(0, unprimed.text.length));
    const traced = await api.trace({ checkpointId: checkpoint.id, text: 'Hello' });
    expect(traced.cell).toBe('lstm');
    expect(traced.layers).toHaveLength(1);
    expect(Object.keys(traced.layers[0].gates)).toEqual(['i', 'f', 'g', 'o', 'c', 'h']);
    expect(traced.layers[0].gates.h).toHaveLength(Array.from(traced.chars).length);
    expect(traced.layers[0].gates.h[0]).toHaveLength(16);
  });

  it('resolves run and checkpoint references', async () => {
    const otherCheckpoints = await api.listCheckpoints(other.id);
    expect((await api.resolveRun('reference')).id).toBe(reference.id);
    expect((await api.resolveRun(String(other.id))).id).toBe(other.id);
    expect((await api.resolveRun(`#${otherCheckpoints[0].id}`)).id).toBe(other.id);
    expect((await api.resolveRun('other@final')).id).toBe(other.id);
    const at20 = await api.resolveCheckpoint('other@20');
    expect(at20.step).toBe(20);
    const best = await api.resolveCheckpoint('other');
    const lowest = Math.min(...otherCheckpoints.filter((c) => c.valLoss !== null).map((c) => c.valLoss!));
    expect(best.valLoss).toBe(lowest);
    expect((await api.resolveCheckpoint('other@best')).id).toBe(best.id);
    expect((await api.resolveCheckpoint(`#${at20.id}`)).id).toBe(at20.id);
    await refuses(() => api.resolveRun('foo'), 'No run named "foo".');
    await refuses(() => api.resolveCheckpoint('other@7'), /no checkpoint at step 7; it has steps/);
    await refuses(() => api.resolveCheckpoint('#x1'), /not a checkpoint id/);
    await refuses(() => api.getRun(9999), 'No run with id 9999.');
  });

  it('compares runs: differing hyperparameters, best values, curves, shared-prompt samples', async () => {
    const result = await api.compare({ runIds: [reference.id, other.id], prompt: 'Hello', sampleLength: 30, maxPoints: 10 });
    expect(result.columns.map((c) => c.runName)).toEqual(['reference', 'other']);
    const hyper = Object.fromEntries(result.hyperparameters.map((r) => [r.field, r]));
    expect(hyper.cell).toMatchObject({ values: ['lstm', 'gru'], differs: true, best: [] });
    expect(hyper.window).toMatchObject({ values: [10, 10], differs: false });
    const metrics = Object.fromEntries(result.metrics.map((r) => [r.field, r]));
    const [a, b] = metrics['last train loss'].values as number[];
    expect(metrics['last train loss'].best).toEqual(a < b ? [0] : a > b ? [1] : [0, 1]);
    expect(metrics['best val loss'].values[0]).toBeNull();
    expect(metrics['best val loss'].best).toEqual([1]);
    expect(result.curves).toHaveLength(2);
    for (const curve of result.curves) expect(curve.step.length).toBeLessThanOrEqual(20);
    expect(result.samples.prompt).toBe('Hello');
    expect(result.samples.texts.map((t) => (t === null ? null : Array.from(t).length))).toEqual([30, 30]);
    const csv = await api.compareCsv({ runIds: [reference.id, other.id] });
    expect(csv.table.split('\n')[0]).toBe(`field,reference@${result.columns[0].step},other@${result.columns[1].step}`);
    expect(csv.table).toContain('cell,lstm,gru');
    expect(csv.curves.split('\n')[0]).toBe('run,step,train_loss,val_loss');
    expect(csv.curves.split('\n').filter((l) => l.startsWith('other,')).length).toBeGreaterThan(0);
    const unknown = await api.compare({ runIds: [reference.id], prompt: 'Héllo' });
    expect(unknown.samples.errors[0]).toContain('"é"');
  });

  it('exports weights only, imports them back as a finished run that predicts the same', async () => {
    const checkpoint = await api.resolveCheckpoint('reference@final');
    const exported = await api.exportCheckpoint({ checkpointId: checkpoint.id });
    expect(exported.fileName).toBe('reference-step200.safetensors');
    expect(decodeCheckpoint(exported.bytes).optimizer).toBeUndefined();
    const withOptimizer = await api.exportCheckpoint({ checkpointId: checkpoint.id, withOptimizer: true });
    expect(decodeCheckpoint(withOptimizer.bytes).optimizer).toBeDefined();

    const imported = await api.importCheckpoint({ name: 'back-again', bytes: exported.bytes });
    expect(imported).toMatchObject({ status: 'done', step: 200, corpusId: null });
    const [importedCheckpoint] = await api.listCheckpoints(imported.id);
    expect(importedCheckpoint.kind).toBe('imported');
    const a = await api.predict({ checkpointId: checkpoint.id, text: 'Hello, RNN' });
    const b = await api.predict({ checkpointId: importedCheckpoint.id, text: 'Hello, RNN' });
    expect(b.top).toEqual(a.top);
    expect((await api.resolveCheckpoint('back-again@final')).id).toBe(importedCheckpoint.id);
    await refuses(() => api.exportCheckpoint({ checkpointId: importedCheckpoint.id, withOptimizer: true }), /no optimizer state/);
    await refuses(() => api.continueRun({ runId: imported.id }), /no corpus|no optimizer state/);
  });

  it('continues a finished run as a new linked run that keeps the step numbering', async () => {
    const continued = await api.continueRun({ runId: other.id, steps: 40 });
    expect(continued).toMatchObject({ parentRunId: other.id, step: 30, totalSteps: 40, status: 'queued' });
    const done = await api.runs.whenSettled(continued.id);
    expect(done.status).toBe('done');
    expect(done.step).toBe(40);
    expect((await api.runMetrics(continued.id))[0].step).toBe(31);
    await refuses(() => api.continueRun({ runId: other.id, steps: 30 }), /continuing needs a total above that/);
  });

  it('refuses bad input with a readable message and stores nothing', async () => {
    await refuses(() => api.createRun({ corpusId: 999, preset: 'reference' }), 'No corpus with id 999.');
    const tiny = await api.addCorpus({ name: 'tiny', text: 'abc' });
    await refuses(() => api.createRun({ corpusId: tiny.id, preset: 'reference' }), 'Corpus "tiny": The corpus has 3 characters; a window needs at least 11.');
    await refuses(
      () => api.createRun({ corpusId, hyper: { hidden: 0, lr: -1 } }),
      /Hidden size must be a whole number from 1 to 4096 \(got 0\)\. Learning rate must be a number above 0/,
    );
    await refuses(() => api.createRun({ corpusId, name: 'reference', preset: 'reference' }), 'A run named "reference" already exists. Choose another name.');
    await refuses(() => api.createRun({ corpusId, preset: 'nope' as never }), /There is no preset named "nope"/);
    await refuses(() => api.createRun({ corpusId, hyper: { colour: 3 } as never }), 'Unknown hyperparameter: "colour".');
    await refuses(() => api.createRun({ corpusId, sample: { prompt: 'Zj!' } }), 'The sample prompt has characters the corpus lacks: "Z", "j".');
    await refuses(() => api.createSweep({ corpusId, preset: 'reference', grid: { hidden: [8, 0] } }), /Sweep combination 2 \(hidden = 0\): Hidden size/);
    const checkpoint = await api.resolveCheckpoint('reference@final');
    await refuses(() => api.predict({ checkpointId: checkpoint.id, text: 'Hello wörld?' }), /2 characters that checkpoint #\d+ does not know: "ö", "\?"/);
    await refuses(() => api.predict({ checkpointId: checkpoint.id, text: '' }), /empty/);
    await refuses(() => api.predict({ checkpointId: 424242, text: 'Hello' }), 'No checkpoint with id 424242.');
    await refuses(() => api.generate({ checkpointId: checkpoint.id, prime: 'Hello', length: 0 }), /length must be a whole number/);
    await refuses(() => api.addCorpus({ name: 'broken', bytes: new Uint8Array([0x68, 0x69, 0xff, 0x0a]) }), /offset 2|byte 2/);
    await refuses(() => api.importCheckpoint({ bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) }), /The file is not a checkpoint the workbench can use/);
    await refuses(() => api.deleteCorpus(corpusId), /Corpus "hello" is used by .*reference/);
    await refuses(() => api.setConcurrency(0), /concurrency limit must be a whole number/);
    await refuses(() => api.pauseRun(reference.id), /is done; only a running run can pause/);
    await refuses(() => api.renameRun(reference.id, 'other'), /already exists/);
  });

  it('says clearly when a stored checkpoint is corrupt', async () => {
    // One no call has loaded yet (compare loaded the best one), so the model cache cannot answer for it.
    const best = await api.resolveCheckpoint('other@best');
    const first = (await api.listCheckpoints(other.id)).find((c) => c.id !== best.id)!;
    api.storage.db.prepare('UPDATE checkpoints SET bytes = ? WHERE id = ?').run(Buffer.from('not a safetensors file'), first.id);
    await refuses(() => api.predict({ checkpointId: first.id, text: 'Hello' }), new RegExp(`Checkpoint #${first.id} of run "other" \\(step ${first.step}\\) cannot be read`));
    await refuses(() => api.exportCheckpoint({ checkpointId: first.id }), /is damaged and cannot be exported/);
  });

  it('deletes a run with its checkpoints, and a corpus with its runs on request', async () => {
    const impact = await api.runDeleteImpact(other.id);
    expect(impact.runs).toEqual([{ id: other.id, name: 'other' }]);
    expect(impact.checkpoints).toBeGreaterThan(0);
    await api.deleteRun(other.id);
    await expect(api.getRun(other.id)).rejects.toThrow(`No run with id ${other.id}.`);
    expect(events.some((e) => e.type === 'deleted' && e.runId === other.id)).toBe(true);
    const corpusImpact = await api.corpusDeleteImpact(corpusId);
    expect(corpusImpact.runs.map((r) => r.name)).toContain('reference');
    await api.deleteCorpus(corpusId, { cascade: true });
    expect((await api.listRuns()).map((r) => r.name)).toEqual(['back-again']);
    expect((await api.storageInfo()).tables.find((t) => t.name === 'runs')?.rows).toBe(1);
    expect(api.storage.integrityCheck()).toEqual(['ok']);
  });
});
