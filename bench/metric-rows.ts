/** Stored metric rows for benchmarks and load tests: runs with a plausible loss curve, filled straight into storage. */
import { PRESETS } from '../engine/config.ts';
import type { Id, NewMetric, Storage } from '../main/storage/index.ts';

/** A small seeded generator (mulberry32): the same rows every time. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One progress row at `step`: a decaying loss with noise; validation every 100 steps. */
export function metric(runId: Id, step: number, rng: () => number): NewMetric {
  const trainLoss = 3 * Math.exp(-step / 4000) + 0.3 * rng();
  const evaluated = step % 100 === 0;
  return {
    runId, step, epoch: step / 50, trainLoss, trainLossAvg: trainLoss, valLoss: evaluated ? trainLoss + 0.1 : null,
    bitsPerChar: trainLoss / Math.LN2, valBitsPerChar: evaluated ? (trainLoss + 0.1) / Math.LN2 : null, accuracy: rng(),
    valAccuracy: evaluated ? rng() : null, gradNorm: rng() * 5, lr: 0.002, charsPerSec: 50_000 + rng() * 1000, elapsedMs: step * 2,
  };
}

/** Stores `runs` finished-looking runs named `<prefix>-<i>` with `rows` metric rows each (batches of 1000); returns their ids. */
export function fillRuns(storage: Storage, runs: number, rows: number, prefix = 'bench'): Id[] {
  const hyper = PRESETS['char-rnn-small'].hyper;
  const vocabulary = storage.vocabularies.getOrCreate(Array.from('abcdefghijklmnopqrstuvwxyz .,\n'));
  const rng = random(1);
  const ids: Id[] = [];
  for (let r = 0; r < runs; r++) {
    const id = storage.runs.create({
      name: `${prefix}-${r}`, corpusId: null, vocabularyId: vocabulary.id, hyper, totalSteps: rows,
      reproduction: { appVersion: 'bench', kernelPath: null, threads: 1, corpusSha256: null, seed: r, hyper },
    }).id;
    ids.push(id);
    for (let start = 1; start <= rows; start += 1000) {
      const batch: NewMetric[] = [];
      for (let step = start; step < start + 1000 && step <= rows; step++) batch.push(metric(id, step, rng));
      storage.metrics.appendBatch(batch);
    }
  }
  return ids;
}
