/**
 * The output layer over large batches and vocabularies (issue 9, item 5): the memory estimate counts
 * the head's logits, probabilities and their gradient and agrees with what a model allocates; the head
 * computed in chunks of a few rows gives the loss and gradients of one pass (bit for bit where the
 * order of summation is unchanged); and a full batch over the 2,579-character Chinese corpus trains in
 * a bounded amount of memory (it failed at step 0 with "Invalid typed array length: 678999120").
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CELL_KINDS, DEFAULT_HYPERPARAMETERS, headChunkRows, memoryEstimate, modelConfigOf, tokenInputFloats, type Hyperparameters, type Objective,
} from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import type { Kernels } from '../../engine/kernels/types.ts';
import { Model } from '../../engine/model.ts';
import { kernelPathsUnderTest } from './kernel-paths.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('memory estimate: the output layer', () => {
  const base: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, hidden: 16, embed: 8, window: 16 };
  const bytesPerParam = (h: Hyperparameters) => 4 * 4 * (h.embed + h.hidden + 1); // V·E + H·V + V, ×4 arrays

  it('a vocabulary of 3,000 instead of 30 adds logits, probabilities and their gradient per prediction (B·T·V)', () => {
    for (const objective of ['next', 'every'] as const) {
      const h: Hyperparameters = { ...base, objective, batch: 32 };
      const predictions = 32 * (objective === 'every' ? 16 : 1); // fewer than one chunk holds at V = 3,000
      expect(predictions).toBeLessThan(headChunkRows(3000));
      const added = memoryEstimate(h, 3000, 1000) - memoryEstimate(h, 30, 1000);
      // 30 ids for 32·16 tokens: only the small vocabulary has the first layer read ids (its scratch: tokenInputFloats)
      const tokenScratch = 4 * tokenInputFloats(h, 30, 32 * 16, true);
      expect(tokenScratch).toBeGreaterThan(0);
      expect(tokenInputFloats(h, 3000, 32 * 16, true)).toBe(0);
      expect(added).toBe(4 * 3 * predictions * (3000 - 30) + bytesPerParam(h) * (3000 - 30) - tokenScratch);
    }
  });

  it('a full batch larger than a chunk counts one chunk of the head, not the whole batch', () => {
    // tang300 with the defaults: 26,328 windows, V = 2,579 (the run that failed)
    const h: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, hidden: 16 };
    const bytes = memoryEstimate(h, 2579, 26328);
    const chunk = 4 * 3 * headChunkRows(2579) * 2579;
    expect(bytes).toBeGreaterThan(chunk);
    expect(bytes).toBeLessThan(1.5 * 2 ** 30);
  });

  /** Floats a model and Adam hold after one training step, counted where they are allocated. */
  function allocatedBytes(h: Hyperparameters, V: number, B: number): number {
    let floats = 0;
    const counting: Kernels = { ...referenceKernels, alloc: (n: number) => { floats += n; return new Float32Array(n); } };
    const model = new Model(modelConfigOf(h, V), counting);
    model.initParams(new Rng(3));
    const T = h.window;
    const predictions = h.objective === 'every' ? B * T : B;
    const rng = new Rng(4);
    const inputs = Int32Array.from({ length: B * T }, () => rng.int(V));
    const targets = Int32Array.from({ length: predictions }, () => rng.int(V));
    model.forwardBackward(inputs, targets, B, T, new Rng(5));
    const adamMoments = 2 * model.layout.total;
    const batchIds = B * T + predictions;
    return 4 * (floats + adamMoments + batchIds);
  }

  it('agrees with what a model allocates (every cell, both objectives, dropout, small and large vocabularies)', () => {
    const cases: [Hyperparameters, number, number][] = [];
    for (const cell of CELL_KINDS) {
      for (const objective of ['next', 'every'] as const) {
        cases.push([{ ...base, cell, objective, layers: 2, dropout: 0.2, batch: 12 }, 30, 12]);
        cases.push([{ ...base, cell, objective, layers: 1, batch: 'full' }, 3000, 300]); // 'every': 4,800 predictions, several chunks
      }
    }
    for (const [h, V, windows] of cases) {
      const estimated = memoryEstimate(h, V, windows);
      const allocated = allocatedBytes(h, V, windows);
      const label = `${h.cell} ${h.objective} V=${V} B=${windows}: estimated ${estimated}, allocated ${allocated}`;
      expect(estimated, label).toBeGreaterThanOrEqual(allocated);
      expect(estimated, label).toBeLessThanOrEqual(1.05 * allocated);
    }
  });
});

/** Bit patterns, so equality means bit for bit (and NaN equals NaN). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

describe('the head in chunks equals one pass', async () => {
  const V = 23;
  const B = 17; // 'next': 17 predictions, 'every': 17·6 = 102
  const T = 6;
  for (const kernels of await kernelPathsUnderTest()) {
    for (const cell of CELL_KINDS) {
      for (const objective of ['next', 'every'] as const satisfies readonly Objective[]) {
        it(`${cell} ${objective}, chunks of 7 and 8 rows [${kernels.path}]`, () => {
          const config = { cell, layers: 2, vocabSize: V, embed: 5, hidden: 9, window: T, objective, dropout: 0 };
          const make = (headChunkRows?: number) => {
            const m = new Model(config, kernels, { headChunkRows });
            m.initParams(new Rng(8));
            m.zeroGrads();
            return m;
          };
          const rng = new Rng(9);
          const inputs = Int32Array.from({ length: B * T }, () => rng.int(V));
          const targets = Int32Array.from({ length: objective === 'every' ? B * T : B }, () => rng.int(V));
          const whole = make();
          const one = whole.forwardBackward(inputs, targets, B, T, null);
          const wholeLogits = Float32Array.from(whole.logits(inputs, B, T));
          const head = (m: Model) => ['linear.weight', 'linear.bias'].map((n) => m.layout.get(n));
          const [w, b] = head(whole);
          const below = whole.grads.subarray(0, Math.min(w.offset, b.offset)); // embedding and recurrent layers

          for (const rows of [7, 8]) {
            const chunked = make(rows);
            const r = chunked.forwardBackward(inputs, targets, B, T, null);
            expect(r.count).toBe(one.count);
            expect(r.correct).toBe(one.correct);
            expect(Math.abs(r.loss - one.loss)).toBeLessThanOrEqual(1e-12 * one.loss);
            // dx of each row is its own product: every gradient below the head is bit-identical
            expect(bits(chunked.grads.subarray(0, below.length))).toEqual(bits(below));
            const weight = (m: Model) => m.grads.subarray(w.offset, w.offset + w.size);
            const bias = (m: Model) => m.grads.subarray(b.offset, b.offset + b.size);
            // the weight gradient sums rows in order; the reference groups them by four, so 8-row chunks keep it exact
            if (rows % 4 === 0) expect(bits(weight(chunked))).toEqual(bits(weight(whole)));
            else expect(maxRelDiff(weight(chunked), weight(whole))).toBeLessThan(1e-6);
            // the bias gradient sums each chunk apart, then adds: the same up to float32 rounding
            expect(maxRelDiff(bias(chunked), bias(whole))).toBeLessThan(1e-6);
            // evaluation and the logits go through the same chunks
            expect(chunked.evaluate(inputs, targets, B, T).loss).toBe(r.loss);
            expect(bits(chunked.logits(inputs, B, T))).toEqual(bits(wholeLogits));
            expect(bits(chunked.lastForward().logits)).toEqual(bits(wholeLogits));
          }
        });
      }
    }
  }

  it('refuses a chunk of no rows', () => {
    const config = { cell: 'lstm' as const, layers: 1, vocabSize: V, embed: 5, hidden: 9, window: T, objective: 'next' as const, dropout: 0 };
    expect(() => new Model(config, referenceKernels, { headChunkRows: 0 })).toThrow(/head's chunk must be a whole number of at least 1 row \(got 0\)/);
  });
});

describe('a full batch over a large vocabulary trains in bounded memory', () => {
  it('tang300 (V = 2,579, 26,328 windows), hidden 16, batch full: done, peak RSS under 1.5 GB', async () => {
    const corpus = path.resolve(repoRoot, '../shared/corpora/tang300.txt');
    const hyper = { hidden: 16, batch: 'full', steps: 2, evalEvery: 2 };
    const { stdout } = await promisify(execFile)(
      process.execPath, ['--import', 'tsx', path.join(repoRoot, 'tests/engine/train-peak-rss.ts'), corpus, JSON.stringify(hyper)],
      { cwd: repoRoot, timeout: 60_000 },
    );
    const r = JSON.parse(stdout.trim()) as { status: string; step: number; message: string | null; peakRssBytes: number };
    expect(r.message).toBeNull();
    expect(r.status).toBe('done');
    expect(r.step).toBe(2);
    expect(r.peakRssBytes).toBeLessThan(1.5 * 2 ** 30);
    // the estimate the run was admitted on is truthful: within a factor of two of what the process used
    const estimated = memoryEstimate({ ...DEFAULT_HYPERPARAMETERS, hidden: 16 }, 2579, 26328);
    expect(r.peakRssBytes / estimated).toBeGreaterThan(0.5);
    expect(r.peakRssBytes / estimated).toBeLessThan(2);
  });
});
