/**
 * Compare on a real database file with stored runs and metrics (no training): a 20-run sweep fits,
 * wider requests are refused by name, per-run bests come from the metrics table, and every tied best
 * value is marked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { ApiError } from '../../main/api/contract.ts';
import { bestIndices, compare, MAX_COLUMNS } from '../../main/api/service-compare.ts';
import { Playground } from '../../main/api/service-playground.ts';
import { Storage, type Id, type NewMetric } from '../../main/storage/index.ts';

const hyper = PRESETS.reference.hyper;
let dir: string;
let storage: Storage;
let playground: Playground;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-compare-'));
  storage = Storage.open(path.join(dir, 'workbench.db'));
  playground = new Playground(storage);
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A stored run with `steps` metric rows, evaluated every 10th step with the given validation accuracies in turn. */
function addRun(name: string, steps: number, valAccuracies: number[] = [0.5]): Id {
  const vocabulary = storage.vocabularies.getOrCreate(Array.from('abc'));
  const id = storage.runs.create({
    name, corpusId: null, vocabularyId: vocabulary.id, hyper, totalSteps: steps,
    reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: 1, hyper },
  }).id;
  const rows: NewMetric[] = [];
  for (let step = 1; step <= steps; step++) {
    const evaluated = step % 10 === 0;
    const valAccuracy = evaluated ? valAccuracies[(step / 10 - 1) % valAccuracies.length] : null;
    rows.push({
      runId: id, step, epoch: step / 10, trainLoss: 2 - step / steps, trainLossAvg: 2, valLoss: evaluated ? 2.5 - step / steps : null,
      bitsPerChar: 2, valBitsPerChar: evaluated ? 3 : null, accuracy: 0.9, valAccuracy, gradNorm: 1, lr: 0.01, charsPerSec: 1000, elapsedMs: step,
    });
  }
  storage.metrics.appendBatch(rows);
  return id;
}

describe('compare', () => {
  it('compares a 20-run sweep and refuses more columns than it can show, saying how many', async () => {
    expect(MAX_COLUMNS).toBeGreaterThanOrEqual(20);
    const runIds = Array.from({ length: 20 }, (_, i) => addRun(`sweep-${i}`, 30));
    const result = await compare(storage, playground, { runIds });
    expect(result.columns.map((c) => c.runName)).toEqual(runIds.map((_, i) => `sweep-${i}`));
    expect(result.curves).toHaveLength(20);

    const tooMany = [...runIds, ...Array.from({ length: MAX_COLUMNS + 1 - 20 }, (_, i) => addRun(`extra-${i}`, 10))];
    const refused = compare(storage, playground, { runIds: tooMany });
    await expect(refused).rejects.toThrow(`At most ${MAX_COLUMNS} runs and checkpoints can be compared at once (got ${MAX_COLUMNS + 1}).`);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
  });

  it('reads the best validation accuracy of each run from its evaluations', async () => {
    const a = addRun('a', 100, [0.2, 0.7, 0.4]);
    const b = addRun('b', 9); // never evaluated
    const expected = Math.max(...storage.metrics.list(a).flatMap((m) => (m.valAccuracy === null ? [] : [m.valAccuracy])));
    expect(expected).toBe(0.7);
    expect(storage.metrics.bestValAccuracy(a)).toBe(0.7);
    expect(storage.metrics.bestValAccuracy(b)).toBeNull();
    const result = await compare(storage, playground, { runIds: [a, b] });
    const row = result.metrics.find((r) => r.field === 'best val accuracy')!;
    expect(row.values).toEqual([0.7, null]);
    expect(row.best).toEqual([0]);
  });
});

describe('best marks', () => {
  it('marks every column that ties for the best value', () => {
    expect(bestIndices([0.5, 0.25, 0.25, null, 0.75], 'lower')).toEqual([1, 2]);
    expect(bestIndices([0.5, 0.75, 0.25, 0.75], 'higher')).toEqual([1, 3]);
    expect(bestIndices([3, 3, 3], 'lower')).toEqual([0, 1, 2]);
  });

  it('reach the compare table: runs that tie for the best value are all marked, hyperparameter rows never', async () => {
    const a = addRun('tie-a', 20, [0.6]);
    const b = addRun('tie-b', 20, [0.6]);
    const c = addRun('lower', 20, [0.4]);
    const result = await compare(storage, playground, { runIds: [a, b, c] });
    expect(result.metrics.find((r) => r.field === 'best val accuracy')!.best).toEqual([0, 1]);
    expect(result.hyperparameters.every((r) => r.best.length === 0)).toBe(true);
  });

  it('skips what is not a finite number, and marks nothing when nothing is', () => {
    expect(bestIndices([Number.NaN, Number.NEGATIVE_INFINITY, 2, 'gru', 2], 'lower')).toEqual([2, 4]);
    expect(bestIndices([null, Number.NaN, 'lstm'], 'higher')).toEqual([]);
  });
});
