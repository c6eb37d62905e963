/**
 * The service around training: corpora in and out, checking hyperparameters, sweeps under a
 * concurrency limit, pause/resume/stop, closing the app with a run in flight and resuming it in the
 * next session, and importing a plain PyTorch state_dict with a vocabulary from a corpus.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../engine/format/safetensors.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { nextRunEvent, seedCorpusText } from './run-helpers.ts';

const tiny = { hidden: 8, embed: 4 };

let dir: string;
let dbPath: string;
const services: WorkbenchService[] = [];

function open(options: { concurrency?: number } = {}): WorkbenchService {
  const api = createWorkbenchService({ dbPath, ...options });
  services.push(api);
  return api;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'service-lifecycle-'));
  dbPath = path.join(dir, 'workbench.db');
});

afterEach(async () => {
  for (const api of services.splice(0)) await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('service lifecycle', () => {
  it('adds corpora from text and bytes, measures and edits them', async () => {
    const api = open();
    const bytes = new TextEncoder().encode('\uFEFFab\r\nba\r\n');
    const kept = await api.addCorpus({ name: 'raw', bytes, source: 'raw.txt' });
    expect(kept).toMatchObject({ name: 'raw', source: 'raw.txt', chars: 9, distinct: 5, bytes: bytes.length, runCount: 0 });
    const stats = await api.corpusStats(kept.id, 2);
    expect(stats).toMatchObject({ chars: 9, distinct: 5, hasBom: true, crlf: 2, windows: 7 });
    expect(stats.frequencies.slice(0, 2)).toEqual([{ char: '\n', count: 2 }, { char: '\r', count: 2 }]);
    expect(stats.singletons).toEqual(['\uFEFF']);
    const normalized = await api.addCorpus({ name: 'clean', bytes, normalize: true });
    expect((await api.getCorpus(normalized.id)).text).toBe('ab\nba\n');
    expect(normalized.existing).toBeUndefined();
    // The same text again is the same corpus, and the answer says so.
    const again = await api.addCorpus({ name: 'again', text: 'ab\nba\n' });
    expect(again).toMatchObject({ id: normalized.id, name: 'clean', existing: true });
    const renamed = await api.updateCorpus(normalized.id, { name: 'tidy', text: 'abba\n' });
    expect(renamed).toMatchObject({ name: 'tidy', chars: 5 });
    await expect(api.updateCorpus(normalized.id, { name: 'raw' })).rejects.toThrow('A corpus named "raw" already exists.');
    await expect(api.getCorpus(77)).rejects.toThrow('No corpus with id 77.');
    expect((await api.listCorpora()).map((c) => c.name).sort()).toEqual(['raw', 'tidy']);
  });

  it('checks hyperparameters against a corpus', async () => {
    const api = open();
    const corpus = await api.addCorpus({ name: 'hello', text: seedCorpusText });
    const good = await api.checkHyperparameters({ corpusId: corpus.id, preset: 'reference' });
    expect(good).toMatchObject({ errors: {}, corpusError: null, trainWindows: Array.from(seedCorpusText).length - 10, totalSteps: 500 });
    expect(good.parameterCount).toBeGreaterThan(0);
    const bad = await api.checkHyperparameters({ corpusId: corpus.id, preset: 'reference', hyper: { window: 200, layers: 9 } });
    expect(bad.errors.layers).toMatch(/Layers must be/);
    const short = await api.checkHyperparameters({ corpusId: corpus.id, preset: 'reference', hyper: { window: 200 } });
    expect(short.corpusError).toMatch(/a window needs at least 201/);
    expect((await api.presets()).map((p) => p.name)).toEqual(['reference', 'char-rnn-small', 'char-rnn-medium']);
  });

  it('runs a sweep under a concurrency limit that can change', async () => {
    const api = open({ concurrency: 1 });
    expect(await api.getConcurrency()).toBe(1);
    const corpus = await api.addCorpus({ name: 'hello', text: seedCorpusText });
    const created: number[] = [];
    api.onRunEvent((e) => {
      if (e.type === 'created') created.push(e.runId);
    });
    let mostRunning = 0;
    api.onRunEvent(() => {
      mostRunning = Math.max(mostRunning, api.runs.activeRunIds().length);
    });
    const { sweepId, runs } = await api.createSweep({ corpusId: corpus.id, preset: 'reference', name: 'sw', base: { ...tiny, steps: 20 }, grid: { cell: ['lstm', 'gru'], lr: [0.01, 0.03] } });
    expect(runs.map((r) => r.name)).toEqual(['sw-cell=lstm,lr=0.01', 'sw-cell=lstm,lr=0.03', 'sw-cell=gru,lr=0.01', 'sw-cell=gru,lr=0.03']);
    expect(created).toEqual(runs.map((r) => r.id));
    await api.setConcurrency(2);
    const settled = await Promise.all(runs.map((r) => api.runs.whenSettled(r.id)));
    expect(settled.map((r) => [r.status, r.sweepId])).toEqual(runs.map(() => ['done', sweepId]));
    expect(mostRunning).toBe(2);
  });

  it('pauses, resumes and stops runs through the API', async () => {
    const api = open();
    const corpus = await api.addCorpus({ name: 'hello', text: seedCorpusText });
    const run = await api.createRun({ corpusId: corpus.id, preset: 'reference', name: 'long', hyper: { ...tiny, steps: 100_000 } });
    await nextRunEvent(api, (e) => e.type === 'progress' && e.runId === run.id);
    const paused = nextRunEvent(api, (e) => e.type === 'status' && e.runId === run.id && e.status === 'paused');
    await api.pauseRun(run.id);
    await paused;
    expect((await api.getRun(run.id)).status).toBe('paused');
    const running = nextRunEvent(api, (e) => e.type === 'status' && e.runId === run.id && e.status === 'running');
    await api.resumeRun(run.id);
    await running;
    await api.stopRun(run.id);
    const stopped = await api.runs.whenSettled(run.id);
    expect(stopped.status).toBe('stopped');
    await expect(api.stopRun(run.id)).rejects.toThrow('Run "long" is already stopped.');
    await expect(api.resumeRun(run.id)).rejects.toThrow('Run "long" is stopped; only a paused run can resume.');
  });

  it('leaves a running run paused when the app closes, and the next session resumes it', async () => {
    const first = open();
    const corpus = await first.addCorpus({ name: 'hello', text: seedCorpusText });
    const run = await first.createRun({ corpusId: corpus.id, preset: 'reference', name: 'overnight', hyper: { ...tiny, steps: 100_000 } });
    await nextRunEvent(first, (e) => e.type === 'progress' && e.runId === run.id && e.metric.step >= 5);
    await first.close();

    const second = open();
    const parked = await second.getRun(run.id);
    expect(parked.status).toBe('paused');
    expect(parked.reason).toMatch(/Paused when the workbench closed/);
    const latest = parked.checkpoints[parked.checkpoints.length - 1];
    expect(latest.step).toBe(parked.step);
    const next = nextRunEvent(second, (e) => e.type === 'progress' && e.runId === run.id);
    await second.resumeRun(run.id);
    const event = await next;
    expect(event.type === 'progress' && event.metric.step).toBe(latest.step + 1);
    await second.stopRun(run.id);
    expect((await second.runs.whenSettled(run.id)).status).toBe('stopped');
  });

  it('imports a plain state_dict with the vocabulary of a corpus', async () => {
    const api = open();
    const corpus = await api.addCorpus({ name: 'hello', text: seedCorpusText });
    const run = await api.createRun({ corpusId: corpus.id, preset: 'reference', name: 'source', hyper: { ...tiny, steps: 20 } });
    await api.runs.whenSettled(run.id);
    const exported = await api.exportCheckpoint({ checkpointId: (await api.resolveCheckpoint('source@final')).id });
    // What PyTorch's safetensors.torch.save_file(model.state_dict()) would write: tensors, no metadata.
    const plain = encodeSafetensors(decodeSafetensors(exported.bytes).tensors, {});
    await expect(api.importCheckpoint({ bytes: plain })).rejects.toThrow(/vocabulary/i);
    expect((await api.listRuns()).length).toBe(1);
    const imported = await api.importCheckpoint({ bytes: plain, vocab: { corpusId: corpus.id } });
    expect(imported).toMatchObject({ name: 'imported', status: 'done', corpusId: corpus.id, vocabSize: run.vocabSize });
    const [checkpoint] = await api.listCheckpoints(imported.id);
    const original = await api.predict({ checkpointId: (await api.resolveCheckpoint('source@final')).id, text: 'Hello, RNN' });
    expect((await api.predict({ checkpointId: checkpoint.id, text: 'Hello, RNN' })).top).toEqual(original.top);
    const evaluation = await api.evaluate({ checkpointId: checkpoint.id });
    expect(evaluation.windows).toBe(Array.from(seedCorpusText).length - 10);
  });
});
