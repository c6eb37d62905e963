// The repositories on real SQLite files in a temp folder: dedupe, impact counts, cascades, refusals,
// pruning, downsampling, liveness and the database report.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS, parameterCount, type Hyperparameters } from '../../engine/config.ts';
import {
  Storage, StorageError, measureText, resolveDatabasePath, resolveNativeBinding, sha256Hex,
  type Id, type NewMetric, type RunRecord,
} from '../../main/storage/index.ts';
import { curveBuckets } from '../../main/storage/metrics.ts';

let dir: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-storage-'));
  storage = Storage.open(path.join(dir, 'workbench.db'));
});
afterEach(() => {
  // Every test leaves a sound file behind.
  if (storage.isOpen) expect(storage.integrityCheck()).toEqual(['ok']);
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const hyper: Hyperparameters = PRESETS.reference.hyper;

function addCorpus(name: string, text: string) {
  return storage.corpora.add({ name, text, source: 'test' }).corpus;
}

function addRun(name: string, corpusId: Id | null, extra: Partial<Parameters<Storage['runs']['create']>[0]> = {}): RunRecord {
  const text = corpusId === null ? 'abc' : storage.corpora.text(corpusId)!;
  const vocabulary = storage.vocabularies.getOrCreate([...new Set(Array.from(text))].sort());
  return storage.runs.create({
    name, corpusId, vocabularyId: vocabulary.id, hyper, totalSteps: 100,
    reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: hyper.seed, hyper },
    ...extra,
  });
}

/** A small deterministic generator (mulberry32) so data varies by seed without hard-coded values. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function metric(runId: Id, step: number, trainLoss: number, valLoss: number | null = null): NewMetric {
  return {
    runId, step, epoch: step / 10, trainLoss, trainLossAvg: trainLoss, valLoss, bitsPerChar: trainLoss / Math.LN2,
    valBitsPerChar: valLoss === null ? null : valLoss / Math.LN2, accuracy: 0.5, valAccuracy: valLoss === null ? null : 0.4,
    gradNorm: 1, lr: 0.01, charsPerSec: 1000 + step, elapsedMs: step * 2,
  };
}

function addCheckpoint(runId: Id, step: number, kind: 'periodic' | 'best' | 'final' | 'imported', valLoss: number | null, size = 16) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (step * 31 + i) & 0xff;
  return storage.checkpoints.add({ runId, step, kind, valLoss, trainLoss: 1, bytes });
}

const count = (table: string) => (storage.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('corpora', () => {
  it('stores a text once: the same text under another name returns the existing corpus', () => {
    const text = 'the quick brown fox jumps over the lazy dog';
    const first = storage.corpora.add({ name: 'fox', text, source: '/tmp/fox.txt' });
    const again = storage.corpora.add({ name: 'fox copy', text, source: 'paste' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.corpus.id).toBe(first.corpus.id);
    expect(again.corpus.name).toBe('fox');
    expect(first.corpus.sha256).toBe(sha256Hex(text));
    expect(storage.corpora.list()).toHaveLength(1);
    expect(storage.corpora.detail(first.corpus.id)!.text).toBe(text);
  });

  it('measures code points, distinct characters and UTF-8 bytes', () => {
    const text = '床前明月光，疑是地上霜。🙂a';
    const corpus = addCorpus('tang', text);
    const codePoints = Array.from(text);
    expect(corpus.chars).toBe(codePoints.length);
    expect(corpus.distinct).toBe(new Set(codePoints).size);
    expect(corpus.bytes).toBe(new TextEncoder().encode(text).length);
    expect(measureText(text)).toEqual({ chars: corpus.chars, distinct: corpus.distinct, bytes: corpus.bytes });
  });

  it('refuses a taken name for a new text, and offers a free one', () => {
    addCorpus('notes', 'first text');
    expect(() => addCorpus('notes', 'second text')).toThrow('A corpus named "notes" already exists.');
    expect(storage.corpora.uniqueName('notes')).toBe('notes (2)');
    expect(() => addCorpus('  ', 'x')).toThrow(StorageError);
  });

  it('lists each corpus with the number of runs on it', () => {
    const a = addCorpus('a', 'aaaa bbbb');
    const b = addCorpus('b', 'cccc dddd');
    addRun('a-1', a.id);
    addRun('a-2', a.id);
    const counts = Object.fromEntries(storage.corpora.list().map((c) => [c.name, c.runCount]));
    expect(counts).toEqual({ a: 2, b: 0 });
    expect(storage.corpora.get(b.id)!.runCount).toBe(0);
  });

  it('renames freely but refuses to change the text under runs, naming them', () => {
    const corpus = addCorpus('poem', 'roses are red');
    const renamed = storage.corpora.update(corpus.id, { name: 'poem v1' });
    expect(renamed.name).toBe('poem v1');

    const edited = storage.corpora.update(corpus.id, { text: 'violets are blue' });
    expect(edited.sha256).toBe(sha256Hex('violets are blue'));
    expect(edited.chars).toBe('violets are blue'.length);

    addRun('poem-run', corpus.id);
    addRun('poem-run-2', corpus.id);
    expect(() => storage.corpora.update(corpus.id, { text: 'something else' })).toThrow(
      'Corpus "poem v1" is used by 2 runs ("poem-run", "poem-run-2"); its text cannot change under them.',
    );
    expect(storage.corpora.text(corpus.id)).toBe('violets are blue');
    // The same text again is not a change.
    expect(storage.corpora.update(corpus.id, { text: 'violets are blue', name: 'poem v2' }).name).toBe('poem v2');
  });

  it('refuses to delete a used corpus unless asked to cascade, and counts what goes with it', () => {
    const corpus = addCorpus('shared', 'hello hello hello');
    const other = addCorpus('other', 'goodbye goodbye');
    const runs = [addRun('r1', corpus.id), addRun('r2', corpus.id)];
    const survivor = addRun('r3', other.id);
    const rng = random(7);
    const metricsPerRun = [23, 41];
    runs.forEach((run, i) => {
      storage.metrics.appendBatch(Array.from({ length: metricsPerRun[i] }, (_, s) => metric(run.id, s + 1, 2 + rng())));
    });
    storage.metrics.appendBatch([metric(survivor.id, 1, 3)]);
    const checkpoint = addCheckpoint(runs[0].id, 10, 'final', null);
    addCheckpoint(runs[1].id, 5, 'periodic', null);
    addCheckpoint(survivor.id, 5, 'final', null);
    storage.samples.add({ checkpointId: checkpoint.id, runId: runs[0].id, step: 10, prompt: 'h', temperature: 0.8, length: 5, text: 'hello' });

    const impact = storage.corpora.deleteImpact(corpus.id);
    expect(impact).toEqual({
      runs: runs.map((r) => ({ id: r.id, name: r.name })),
      checkpoints: 2,
      samples: 1,
      metrics: metricsPerRun[0] + metricsPerRun[1],
    });
    expect(() => storage.corpora.delete(corpus.id)).toThrow(/^Corpus "shared" is used by 2 runs \("r1", "r2"\)\./);
    expect(storage.corpora.get(corpus.id)).not.toBeNull();

    expect(storage.corpora.delete(corpus.id, { cascade: true })).toEqual(impact);
    expect(storage.corpora.get(corpus.id)).toBeNull();
    expect(storage.runs.list().map((r) => r.name)).toEqual(['r3']);
    expect(count('metrics')).toBe(1);
    expect(count('checkpoints')).toBe(1);
    expect(count('samples')).toBe(0);
    // Vocabularies outlive corpora: a checkpoint imported elsewhere may still need them.
    expect(count('vocabularies')).toBeGreaterThan(0);
  });

  it('deletes an unused corpus without cascade', () => {
    const corpus = addCorpus('lonely', 'nobody trains on me');
    expect(storage.corpora.delete(corpus.id)).toEqual({ runs: [], checkpoints: 0, samples: 0, metrics: 0 });
    expect(() => storage.corpora.delete(corpus.id)).toThrow('Corpus #' + corpus.id + ' does not exist.');
  });
});

describe('vocabularies', () => {
  it('shares one row per exact character list', () => {
    const a = storage.vocabularies.getOrCreate(['a', 'b', '中']);
    const b = storage.vocabularies.getOrCreate(['a', 'b', '中']);
    const c = storage.vocabularies.getOrCreate(['b', 'a', '中']);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(storage.vocabularies.get(a.id)!.chars).toEqual(['a', 'b', '中']);
    expect(() => storage.vocabularies.getOrCreate([])).toThrow(StorageError);
    expect(() => storage.vocabularies.getOrCreate(['a', 'a'])).toThrow('A vocabulary lists each character once.');
  });
});

describe('runs', () => {
  it('creates a run with its summary and a reproduction record', () => {
    const corpus = addCorpus('c', 'hello world');
    const run = addRun('first', corpus.id, { sample: { prompt: 'he', length: 20, temperature: 0.5 } });
    expect(run).toMatchObject({
      name: 'first', corpusId: corpus.id, corpusName: 'c', status: 'queued', reason: null, step: 0, totalSteps: 100,
      lastTrainLoss: null, lastValLoss: null, bestValLoss: null, startedAt: null, endedAt: null,
      sample: { prompt: 'he', length: 20, temperature: 0.5 },
    });
    const vocabSize = new Set('hello world').size;
    expect(run.vocabSize).toBe(vocabSize);
    expect(run.parameterCount).toBe(parameterCount(hyper, vocabSize));
    expect(run.hyper).toEqual(hyper);
    expect(storage.runs.getByName('first')!.id).toBe(run.id);
  });

  it('keeps names unique with a clear error, on create and on rename', () => {
    const a = addRun('alpha', null);
    addRun('beta', null);
    expect(() => addRun('alpha', null)).toThrow('A run named "alpha" already exists. Choose another name.');
    expect(() => storage.runs.rename(a.id, 'beta')).toThrow('A run named "beta" already exists. Choose another name.');
    expect(storage.runs.rename(a.id, 'gamma').name).toBe('gamma');
    expect(storage.runs.rename(a.id, 'gamma').name).toBe('gamma');
    expect(storage.runs.uniqueName('beta')).toBe('beta-2');
    expect(storage.runs.uniqueName('delta')).toBe('delta');
    for (const bad of ['a@b', '#3', '42', ' ']) expect(() => storage.runs.rename(a.id, bad)).toThrow(StorageError);
    expect(() => storage.runs.rename(9999, 'x')).toThrow('Run #9999 does not exist.');
  });

  it('summarizes the last and the best metrics', () => {
    const run = addRun('curve', null);
    const rng = random(11);
    const rows: NewMetric[] = [];
    for (let step = 1; step <= 300; step++) {
      rows.push(metric(run.id, step, 3 * Math.exp(-step / 100) + rng() * 0.1, step % 50 === 0 ? 2 + rng() : null));
    }
    storage.metrics.appendBatch(rows);
    const vals = rows.filter((r) => r.valLoss !== null);
    const got = storage.runs.get(run.id)!;
    expect(got.lastTrainLoss).toBe(rows[rows.length - 1].trainLoss);
    expect(got.charsPerSec).toBe(rows[rows.length - 1].charsPerSec);
    expect(got.lastValLoss).toBe(vals[vals.length - 1].valLoss);
    expect(got.bestValLoss).toBe(Math.min(...vals.map((r) => r.valLoss!)));
    expect(storage.metrics.last(run.id)!.step).toBe(300);
    const best = vals.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(storage.metrics.best(run.id)).toMatchObject({ step: best.step, valLoss: best.valLoss });
    expect(storage.metrics.count(run.id)).toBe(300);
    expect(storage.runs.list({ ids: [run.id] })[0].bestValLoss).toBe(got.bestValLoss);
  });

  it('stamps start and end times with the status and releases the owner at the end', () => {
    const run = addRun('timed', null);
    const claimed = storage.runs.claimRun(run.id, { pid: process.pid, hostId: 'here' })!;
    expect(claimed.status).toBe('running');
    expect(claimed.startedAt).not.toBeNull();
    expect(claimed.ownerPid).toBe(process.pid);
    const paused = storage.runs.setStatus(run.id, 'paused');
    expect(paused.ownerPid).toBe(process.pid);
    expect(paused.endedAt).toBeNull();
    const done = storage.runs.setStatus(run.id, 'failed', 'The loss became NaN at step 12.');
    expect(done).toMatchObject({ status: 'failed', reason: 'The loss became NaN at step 12.', ownerPid: null, ownerHostId: null });
    expect(done.endedAt).not.toBeNull();
    expect(done.startedAt).toBe(claimed.startedAt);
    expect(storage.runs.update(run.id, { step: 12, totalSteps: 50 })).toMatchObject({ step: 12, totalSteps: 50, status: 'failed' });
    expect(storage.runs.list({ statuses: ['failed'] }).map((r) => r.id)).toEqual([run.id]);
    expect(storage.runs.list({ statuses: ['queued'] })).toEqual([]);
  });

  it('deletes a run with its metrics, checkpoints and samples; a continued run loses only its parent link', () => {
    const sweep = storage.sweeps.create({ lr: [0.01, 0.1] });
    const parent = addRun('parent', null, { sweepId: sweep.id });
    const child = addRun('child', null, { parentRunId: parent.id });
    storage.metrics.appendBatch([metric(parent.id, 1, 2), metric(parent.id, 2, 1.9), metric(child.id, 3, 1.5)]);
    const checkpoint = addCheckpoint(parent.id, 2, 'final', null);
    storage.samples.add({ checkpointId: checkpoint.id, runId: parent.id, step: 2, prompt: 'a', temperature: 1, length: 3, text: 'abc' });
    expect(storage.runs.list({ sweepId: sweep.id }).map((r) => r.name)).toEqual(['parent']);
    const impact = storage.runs.deleteImpact(parent.id);
    expect(impact).toEqual({ runs: [{ id: parent.id, name: 'parent' }], checkpoints: 1, samples: 1, metrics: 2 });
    expect(storage.runs.delete(parent.id)).toEqual(impact);
    expect(storage.runs.get(parent.id)).toBeNull();
    expect(storage.runs.get(child.id)!.parentRunId).toBeNull();
    expect(count('metrics')).toBe(1);
    expect(count('checkpoints') + count('samples')).toBe(0);
  });
});

describe('checkpoints', () => {
  it('round-trips the bytes exactly and lists without them', () => {
    const run = addRun('blobs', null);
    const bytes = new Uint8Array(100_000);
    const rng = random(3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    const checkpoint = storage.checkpoints.add({ runId: run.id, step: 7, kind: 'final', valLoss: null, trainLoss: 1.25, bytes });
    expect(checkpoint).toMatchObject({ runId: run.id, runName: 'blobs', step: 7, kind: 'final', bytes: bytes.length, trainLoss: 1.25 });
    expect(Buffer.compare(Buffer.from(storage.checkpoints.bytes(checkpoint.id)!), Buffer.from(bytes))).toBe(0);
    expect(storage.checkpoints.list(run.id)).toEqual([checkpoint]);
    expect(storage.checkpoints.bytes(checkpoint.id + 1)).toBeNull();
  });

  it('finds the best (lowest validation loss, else the latest), the latest, by step and by kind', () => {
    const withVal = addRun('with-val', null);
    const rng = random(5);
    const created = [10, 20, 30, 40, 50].map((step) => addCheckpoint(withVal.id, step, 'periodic', 1 + rng()));
    const lowest = created.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(storage.checkpoints.best(withVal.id)!.id).toBe(lowest.id);
    expect(storage.checkpoints.latest(withVal.id)!.step).toBe(50);
    expect(storage.checkpoints.byStep(withVal.id, 30)!.id).toBe(created[2].id);
    expect(storage.checkpoints.byStep(withVal.id, 31)).toBeNull();

    const noVal = addRun('no-val', null);
    addCheckpoint(noVal.id, 5, 'periodic', null);
    const final = addCheckpoint(noVal.id, 9, 'final', null);
    expect(storage.checkpoints.best(noVal.id)!.id).toBe(final.id);
    expect(storage.checkpoints.latestOfKind(noVal.id, 'final')!.id).toBe(final.id);
    expect(storage.checkpoints.latestOfKind(noVal.id, 'best')).toBeNull();
  });

  it('prunes to the last K periodic plus the best and the final', () => {
    const run = addRun('pruned', null);
    const rng = random(19);
    const all = [];
    for (let step = 100; step <= 1000; step += 100) {
      all.push(addCheckpoint(run.id, step, 'periodic', 2 + rng()));
      if (step === 300 || step === 600) all.push(addCheckpoint(run.id, step, 'best', 1 + rng()));
    }
    all.push(addCheckpoint(run.id, 1000, 'final', 2 + rng()));
    const best = storage.checkpoints.best(run.id)!;
    const keepLast = 3;
    const lastPeriodic = all.filter((c) => c.kind === 'periodic').sort((a, b) => b.step - a.step).slice(0, keepLast);
    const expected = new Set([best.id, ...lastPeriodic.map((c) => c.id), ...all.filter((c) => c.kind === 'final').map((c) => c.id)]);

    const deleted = storage.checkpoints.prune(run.id, keepLast);
    const remaining = storage.checkpoints.list(run.id);
    expect(new Set(remaining.map((c) => c.id))).toEqual(expected);
    expect(deleted.length + remaining.length).toBe(all.length);
    expect(storage.checkpoints.best(run.id)!.id).toBe(best.id);
    // Pruning again changes nothing.
    expect(storage.checkpoints.prune(run.id, keepLast)).toEqual([]);
  });

  it('deletes one checkpoint with its samples', () => {
    const run = addRun('one', null);
    const checkpoint = addCheckpoint(run.id, 1, 'periodic', null);
    const sample = storage.samples.add({ checkpointId: checkpoint.id, runId: run.id, step: 1, prompt: 'x', temperature: 0.8, length: 4, text: 'xyzw' });
    expect(storage.samples.latest(run.id)).toEqual(sample);
    expect(storage.samples.forCheckpoint(checkpoint.id)).toEqual([sample]);
    expect(storage.checkpoints.delete(checkpoint.id)).toBe(true);
    expect(storage.checkpoints.delete(checkpoint.id)).toBe(false);
    expect(storage.samples.list(run.id)).toEqual([]);
  });
});

describe('metrics downsampling', () => {
  it('keeps every bucket minimum and maximum, so spikes survive, plus every validation point', () => {
    const run = addRun('spiky', null);
    const rng = random(23);
    const n = 20_000;
    const rows: NewMetric[] = [];
    const spikeAt = 1 + Math.floor(rng() * (n - 2));
    const dipAt = 1 + Math.floor(rng() * (n - 2));
    for (let step = 1; step <= n; step++) {
      let loss = 3 * Math.exp(-step / 5000) + 0.2 * rng();
      if (step === spikeAt) loss += 50;
      if (step === dipAt) loss = -1;
      rows.push(metric(run.id, step, loss, step % 500 === 0 ? 1 + rng() : null));
    }
    for (let i = 0; i < rows.length; i += 1000) storage.metrics.appendBatch(rows.slice(i, i + 1000));

    const maxPoints = 500;
    const curve = storage.metrics.curve(run.id, maxPoints);
    const trainLoss = rows.map((r) => r.trainLoss);
    const valRows = rows.filter((r) => r.valLoss !== null);
    expect(curve.step.length).toBeLessThanOrEqual(maxPoints);
    expect(curve.step.length).toBeGreaterThan(maxPoints / 2);
    expect(curve.step).toEqual([...curve.step].sort((a, b) => a - b));
    expect(Math.max(...(curve.trainLoss as number[]))).toBe(Math.max(...trainLoss));
    expect(Math.min(...(curve.trainLoss as number[]))).toBe(Math.min(...trainLoss));
    expect(curve.step).toContain(spikeAt);
    expect(curve.step).toContain(dipAt);
    expect(curve.step[0]).toBe(1);
    expect(curve.step[curve.step.length - 1]).toBe(n);
    for (const v of valRows) expect(curve.valLoss[curve.step.indexOf(v.step)]).toBe(v.valLoss);
    expect(curve.valLoss.filter((v) => v !== null)).toHaveLength(valRows.length);

    // The same choice of rows, as full metric points.
    const points = storage.metrics.list(run.id, { maxPoints });
    expect(points.map((p) => p.step)).toEqual(curve.step);
    expect(storage.metrics.list(run.id)).toHaveLength(n);
  });

  it('keeps each bucket extreme for any data: checked bucket by bucket', () => {
    const rng = random(29);
    for (let trial = 0; trial < 12; trial++) {
      const run = addRun(`trial-${trial}`, null);
      const n = 50 + Math.floor(rng() * 3000);
      const first = 1 + Math.floor(rng() * 1000);
      const stride = 1 + Math.floor(rng() * 5);
      const rows = Array.from({ length: n }, (_, i) => metric(run.id, first + i * stride, rng(), rng() < 0.01 ? rng() : null));
      storage.metrics.appendBatch(rows);
      const maxPoints = 10 + Math.floor(rng() * 300);
      const curve = storage.metrics.curve(run.id, maxPoints);
      const kept = new Set(curve.step);
      const validation = rows.filter((r) => r.valLoss !== null);
      if (n <= maxPoints) {
        expect(kept.size).toBe(n);
        continue;
      }
      expect(curve.step.length).toBeLessThanOrEqual(Math.max(maxPoints, validation.length + 4));
      for (const v of validation) expect(kept.has(v.step)).toBe(true);
      // Bucket k holds the steps s with k <= (s - first) * buckets / span < k + 1.
      const buckets = curveBuckets(maxPoints, validation.length);
      const span = rows[n - 1].step - first + 1;
      const byBucket = new Map<number, NewMetric[]>();
      for (const r of rows) {
        const k = Math.floor(((r.step - first) * buckets) / span);
        byBucket.set(k, [...(byBucket.get(k) ?? []), r]);
      }
      for (const members of byBucket.values()) {
        const lo = members.reduce((a, b) => (b.trainLoss < a.trainLoss ? b : a));
        const hi = members.reduce((a, b) => (b.trainLoss > a.trainLoss ? b : a));
        expect(kept.has(lo.step) && kept.has(hi.step)).toBe(true);
      }
    }
  });

  it('returns everything when the curve is short', () => {
    const run = addRun('short', null);
    storage.metrics.appendBatch([metric(run.id, 1, 3), metric(run.id, 2, 2.5, 2.7), metric(run.id, 3, 2)]);
    expect(storage.metrics.curve(run.id, 1000)).toEqual({ runId: run.id, step: [1, 2, 3], trainLoss: [3, 2.5, 2], valLoss: [null, 2.7, null] });
  });
});

describe('liveness', () => {
  /** The pid of a process that has certainly exited. */
  async function deadPid(): Promise<number> {
    const child = fork(path.join(dir, 'exit.mjs'), [], { stdio: 'ignore' });
    const pid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    return pid;
  }
  beforeEach(() => writeFileSync(path.join(dir, 'exit.mjs'), 'process.exit(0);\n'));

  it('marks a run interrupted when its owner pid on this machine is dead, and leaves a live owner alone', async () => {
    const pid = await deadPid();
    const orphan = addRun('orphan', null);
    const alive = addRun('alive', null);
    expect(storage.runs.claimRun(orphan.id, { pid, hostId: 'this-host' })).not.toBeNull();
    expect(storage.runs.claimRun(alive.id, { pid: process.pid, hostId: 'this-host' })).not.toBeNull();

    const marked = storage.runs.markInterruptedIfOwnerDead({ hostId: 'this-host' });
    expect(marked.map((r) => r.id)).toEqual([orphan.id]);
    expect(marked[0]).toMatchObject({ status: 'interrupted', ownerPid: null, heartbeatAt: null });
    expect(marked[0].reason).toContain(`pid ${pid}`);
    expect(marked[0].endedAt).not.toBeNull();
    expect(storage.runs.get(alive.id)!.status).toBe('running');
  });

  it('marks a run interrupted when its heartbeat is older than 10 s, whatever machine owns it', () => {
    const t0 = Date.now();
    const stale = addRun('stale', null);
    const fresh = addRun('fresh', null);
    const pausedStale = addRun('paused-stale', null);
    const queued = addRun('queued', null);
    const parked = addRun('parked', null);
    storage.runs.claimRun(parked.id, { pid: 4444, hostId: 'other-machine' }, t0);
    storage.runs.setStatus(parked.id, 'paused');
    storage.runs.release(parked.id);
    storage.runs.claimRun(stale.id, { pid: 4242, hostId: 'other-machine' }, t0);
    storage.runs.claimRun(fresh.id, { pid: 4242, hostId: 'other-machine' }, t0);
    storage.runs.claimRun(pausedStale.id, { pid: 4343, hostId: 'other-machine' }, t0);
    storage.runs.setStatus(pausedStale.id, 'paused');
    // Another machine's pids mean nothing here: the check must not be asked.
    const askNever = (p: number): boolean => {
      throw new Error(`asked about pid ${p}`);
    };
    expect(storage.runs.markInterruptedIfOwnerDead({ isAlive: askNever, hostId: 'this-host', now: t0 + 9_000 })).toEqual([]);
    storage.runs.heartbeat(fresh.id, t0 + 9_000);

    const marked = storage.runs.markInterruptedIfOwnerDead({ isAlive: askNever, hostId: 'this-host', now: t0 + 15_000 });
    expect(marked.map((r) => r.name).sort()).toEqual(['paused-stale', 'stale']);
    expect(marked.find((r) => r.name === 'stale')!.reason).toMatch(/other-machine.*no heartbeat for 15 s/);
    expect(storage.runs.get(fresh.id)!.status).toBe('running');
    expect(storage.runs.get(queued.id)!.status).toBe('queued');
    // A paused run nobody owns was parked on purpose; it is not interrupted.
    expect(storage.runs.get(parked.id)!.status).toBe('paused');
  });

  it('lets one owner claim a run at a time; heartbeats keep all of an owner\'s runs fresh', () => {
    const run = addRun('contested', null);
    const other = addRun('also-mine', null);
    const me = { pid: process.pid, hostId: 'h' };
    const t0 = Date.now();
    expect(storage.runs.claimRun(run.id, me, t0)).not.toBeNull();
    expect(storage.runs.claimRun(run.id, { pid: process.pid + 1, hostId: 'h' })).toBeNull();
    expect(storage.runs.claimRun(run.id, me, t0)).not.toBeNull();
    storage.runs.claimRun(other.id, me, t0);
    expect(storage.runs.heartbeatOwned(me, t0 + 8_000)).toBe(2);
    expect(storage.runs.markInterruptedIfOwnerDead({ isAlive: () => true, hostId: 'h', now: t0 + 16_000 })).toEqual([]);
    storage.runs.release(run.id);
    expect(storage.runs.claimRun(run.id, { pid: process.pid + 1, hostId: 'h' })).not.toBeNull();
  });
});

describe('Storage', () => {
  it('rolls back every repository write inside a failed transaction', () => {
    expect(() => storage.transaction(() => {
      const corpus = addCorpus('half', 'half written');
      addRun('half-run', corpus.id);
      throw new Error('the engine refused the hyperparameters');
    })).toThrow('the engine refused the hyperparameters');
    expect(storage.corpora.list()).toEqual([]);
    expect(storage.runs.list()).toEqual([]);
    expect(count('vocabularies')).toBe(0);
  });

  it('records a flush of progress: rows, step and heartbeat together', () => {
    const run = addRun('flushing', null);
    storage.runs.claimRun(run.id, { pid: process.pid, hostId: 'h' }, Date.now() - 60_000);
    const rows = [5, 6, 7].map((step) => metric(run.id, step, 3 / step));
    const now = Date.now();
    storage.recordProgress(run.id, rows, now);
    const after = storage.runs.get(run.id)!;
    expect(after.step).toBe(7);
    expect(Date.parse(after.heartbeatAt!)).toBe(now);
    expect(storage.metrics.list(run.id).map((p) => p.trainLoss)).toEqual(rows.map((r) => r.trainLoss));
  });
});

describe('database report', () => {
  it('counts rows and bytes per table, and vacuum gives space back', () => {
    const run = addRun('big', null);
    const big = Array.from({ length: 8 }, (_, i) => addCheckpoint(run.id, i, 'periodic', null, 256 * 1024));
    storage.metrics.appendBatch(Array.from({ length: 50 }, (_, i) => metric(run.id, i + 1, 2)));
    const before = storage.info.info();
    expect(before.path).toBe(path.join(dir, 'workbench.db'));
    const rows = Object.fromEntries(before.tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({ runs: 1, checkpoints: 8, metrics: 50, corpora: 0, vocabularies: 1 });
    const checkpointBytes = before.tables.find((t) => t.name === 'checkpoints')!.bytes!;
    expect(checkpointBytes).toBeGreaterThanOrEqual(8 * 256 * 1024);
    expect(before.bytes).toBeGreaterThanOrEqual(checkpointBytes);

    for (const checkpoint of big) storage.checkpoints.delete(checkpoint.id);
    const after = storage.info.vacuum();
    expect(after.tables.find((t) => t.name === 'checkpoints')!.rows).toBe(0);
    expect(after.bytes).toBeLessThan(before.bytes - 6 * 256 * 1024);
  });
});

describe('paths', () => {
  it('prefers --db, then RW_DB, then the app\'s userData, then XDG_DATA_HOME, then ~/.local/share', () => {
    const home = '/home/someone';
    const env = { RW_DB: '/data/env.db', XDG_DATA_HOME: '/xdg' };
    expect(resolveDatabasePath({ flag: 'rel/flag.db', env, home })).toBe(path.resolve('rel/flag.db'));
    expect(resolveDatabasePath({ env, home })).toBe('/data/env.db');
    expect(resolveDatabasePath({ env: { RW_DB: '~/mine.db' }, home })).toBe('/home/someone/mine.db');
    expect(resolveDatabasePath({ env: { XDG_DATA_HOME: '/xdg' }, home })).toBe('/xdg/recurrent-workbench/workbench.db');
    expect(resolveDatabasePath({ env: { XDG_DATA_HOME: 'relative' }, home }))
      .toBe('/home/someone/.local/share/recurrent-workbench/workbench.db');
    expect(resolveDatabasePath({ env: { XDG_DATA_HOME: '/xdg' }, home, electronUserData: '/home/someone/.config/RW' }))
      .toBe('/home/someone/.config/RW/workbench.db');
    expect(resolveDatabasePath({ env: { RW_DB: '/data/env.db' }, home, electronUserData: '/home/someone/.config/RW' }))
      .toBe('/data/env.db');
    expect(resolveDatabasePath({ env: {}, home, electronUserData: '/Users/someone/Library/RW' }))
      .toBe('/Users/someone/Library/RW/workbench.db');
  });

  it('uses the Electron build of better-sqlite3 only under Electron and only when it exists', () => {
    expect(resolveNativeBinding()).toBeUndefined();
    const root = path.join(dir, 'app');
    const electron = { ...process.versions, electron: '45.5.0' };
    expect(resolveNativeBinding(root, electron)).toBeUndefined();
    mkdirSync(path.join(root, 'build', 'electron'), { recursive: true });
    writeFileSync(path.join(root, 'build', 'electron', 'better_sqlite3.node'), '');
    expect(resolveNativeBinding(root, electron)).toBe(path.join(root, 'build', 'electron', 'better_sqlite3.node'));
    expect(resolveNativeBinding(root, process.versions)).toBeUndefined();
  });
});
