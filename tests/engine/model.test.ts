/**
 * The Model class beyond parity: step-wise inference agrees with the batched forward, gate traces,
 * activation buffers reused across shapes, dropout only while training, gradient accumulation,
 * initialisation distributions, readable errors.
 */
import { describe, expect, it } from 'vitest';
import { CELL_KINDS, firstLayerReadsTokens, type CellKind, type ModelConfig, type Objective } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import type { Kernels } from '../../engine/kernels/types.ts';
import { dropoutForward } from '../../engine/layers/dropout.ts';
import { Model, type GateTrace } from '../../engine/model.ts';
import { kernelPathsUnderTest } from './kernel-paths.ts';

const V = 9;

function makeModel(cell: CellKind, objective: Objective, over: Partial<ModelConfig> = {}, kernels: Kernels = referenceKernels): Model {
  const model = new Model({ cell, layers: 2, vocabSize: V, embed: 5, hidden: 7, window: 6, objective, dropout: 0, ...over }, kernels);
  model.initParams(new Rng(21));
  return model;
}

function randomIds(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('step-wise inference', () => {
  for (const cell of CELL_KINDS) {
    it(`${cell}: steps reproduce the batched forward ('every' each step, 'next' at the end)`, () => {
      const T = 6;
      const ids = randomIds(T, 1);
      const every = makeModel(cell, 'every');
      const batched = Float32Array.from(every.logits(ids, 1, T));
      const state = every.createState();
      const out = new Float32Array(V);
      for (let t = 0; t < T; t++) {
        every.step(state, ids[t], out);
        expect(maxDiff(out, batched.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-6);
      }
      const next = makeModel(cell, 'next');
      const last = Float32Array.from(next.logits(ids, 1, T));
      const s2 = next.createState();
      for (let t = 0; t < T; t++) next.step(s2, ids[t], out);
      expect(maxDiff(out, last)).toBeLessThan(1e-6);
      // the carried state is the batched forward's final state
      next.logits(ids, 1, T);
      const view = next.lastForward();
      for (let l = 0; l < 2; l++) expect(maxDiff(s2.h[l], view.hN[l])).toBeLessThan(1e-6);
    });
  }

  it('a batch whose first layer reads token ids gives the numbers of the embedded rows (steps of each sequence)', async () => {
    const B = 3, T = 6; // 18 tokens, 9 ids: the batched forward takes the token path, one sequence at a time the rows path
    expect(firstLayerReadsTokens(V, B * T)).toBe(true);
    expect(firstLayerReadsTokens(V, T)).toBe(false);
    for (const kernels of await kernelPathsUnderTest()) {
      for (const cell of CELL_KINDS) {
        const model = makeModel(cell, 'every', {}, kernels);
        const ids = randomIds(B * T, 4);
        const batched = Float32Array.from(model.logits(ids, B, T));
        for (let b = 0; b < B; b++) {
          const alone = model.logits(ids.subarray(b * T, (b + 1) * T), 1, T);
          expect(maxDiff(alone, batched.subarray(b * T * V, (b + 1) * T * V)), `${kernels.path} ${cell} sequence ${b}`).toBe(0);
        }
      }
    }
  });

  it('traces record each layer\'s gates by name', () => {
    const names: Record<CellKind, string[]> = { lstm: ['c', 'f', 'g', 'h', 'i', 'o'], gru: ['h', 'n', 'r', 'z'], rnn: ['h'] };
    for (const cell of CELL_KINDS) {
      const model = makeModel(cell, 'every');
      const state = model.createState();
      const trace: GateTrace = [];
      const out = new Float32Array(V);
      model.step(state, 3, out);
      model.step(state, 4, out, trace);
      expect(trace).toHaveLength(2);
      for (let l = 0; l < 2; l++) {
        expect(Object.keys(trace[l]).sort()).toEqual(names[cell]);
        for (const a of Object.values(trace[l])) expect(a).toHaveLength(7);
        expect(Array.from(trace[l].h)).toEqual(Array.from(state.h[l]));
        if (cell === 'lstm') expect(Array.from(trace[l].c)).toEqual(Array.from(state.c![l]));
        for (const gate of ['i', 'f', 'o', 'r', 'z']) {
          if (trace[l][gate]) for (const v of trace[l][gate]) expect(v > 0 && v < 1).toBe(true);
        }
      }
    }
  });
});

describe('activation buffers', () => {
  it('are allocated once per capacity and reused while a batch fits', () => {
    let allocations = 0;
    const counting: Kernels = { ...referenceKernels, alloc: (n) => { allocations++; return referenceKernels.alloc(n); } };
    const model = makeModel('lstm', 'every', {}, counting);
    const run = (B: number, T: number) => model.forwardBackward(randomIds(B * T, B), randomIds(B * T, T), B, T, null);
    run(4, 8);
    const afterFirst = allocations;
    run(4, 8);
    run(2, 8);
    run(4, 4);
    model.evaluate(randomIds(16, 1), randomIds(16, 2), 2, 8);
    expect(allocations).toBe(afterFirst);
    run(8, 8); // larger: grows once
    const afterGrow = allocations;
    run(8, 8);
    run(4, 8);
    expect(allocations).toBe(afterGrow);
    expect(afterGrow).toBeGreaterThan(afterFirst);
  });

  it('smaller batches after a larger one give the same results as a fresh model', () => {
    const a = makeModel('gru', 'next');
    const b = makeModel('gru', 'next');
    a.forwardBackward(randomIds(40, 1), randomIds(5, 2), 5, 8, null);
    a.zeroGrads();
    const ids = randomIds(12, 3);
    const targets = randomIds(3, 4);
    const ra = a.forwardBackward(ids, targets, 3, 4, null);
    const rb = b.forwardBackward(ids, targets, 3, 4, null);
    expect(ra).toEqual(rb);
    expect(Array.from(a.grads)).toEqual(Array.from(b.grads));
  });
});

describe('training behaviour', () => {
  it('gradients accumulate until zeroGrads', () => {
    const model = makeModel('rnn', 'every');
    const ids = randomIds(18, 5);
    const targets = randomIds(18, 6);
    model.zeroGrads();
    model.forwardBackward(ids, targets, 3, 6, null);
    const once = Float32Array.from(model.grads);
    model.forwardBackward(ids, targets, 3, 6, null);
    for (let i = 0; i < once.length; i++) expect(model.grads[i]).toBeCloseTo(2 * once[i], 6);
    model.zeroGrads();
    expect(model.grads.every((g) => g === 0)).toBe(true);
  });

  it('dropout applies only with an Rng, reproducibly, and never in evaluate', () => {
    const model = makeModel('lstm', 'every', { dropout: 0.5 });
    const ids = randomIds(24, 7);
    const targets = randomIds(24, 8);
    const clean = model.evaluate(ids, targets, 4, 6).loss;
    expect(model.forwardBackward(ids, targets, 4, 6, null).loss).toBe(clean);
    const a = model.forwardBackward(ids, targets, 4, 6, new Rng(1)).loss;
    const b = model.forwardBackward(ids, targets, 4, 6, new Rng(1)).loss;
    const c = model.forwardBackward(ids, targets, 4, 6, new Rng(2)).loss;
    expect(a).toBe(b);
    expect(a).not.toBe(clean);
    expect(c).not.toBe(a);
    expect(model.evaluate(ids, targets, 4, 6).loss).toBe(clean);
  });

  it('a single-layer model ignores dropout (PyTorch applies it only between layers)', () => {
    const model = makeModel('gru', 'next', { layers: 1, dropout: 0.5 });
    const ids = randomIds(12, 9);
    const targets = randomIds(2, 10);
    expect(model.forwardBackward(ids, targets, 2, 6, new Rng(3)).loss).toBe(model.evaluate(ids, targets, 2, 6).loss);
  });

  it('counts top-1 correct predictions', () => {
    const model = makeModel('rnn', 'every');
    const ids = randomIds(12, 11);
    const logits = model.logits(ids, 2, 6);
    const argmax = Int32Array.from({ length: 12 }, (_, r) => {
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[r * V + v] > logits[r * V + best]) best = v;
      return best;
    });
    expect(model.evaluate(ids, argmax, 2, 6)).toMatchObject({ correct: 12, count: 12 });
    const wrong = argmax.map((v) => (v + 1) % V);
    expect(model.evaluate(ids, wrong, 2, 6).correct).toBe(0);
  });
});

describe('dropout (inverted, as PyTorch\'s nn.Dropout)', () => {
  it('zeroes about p of the elements and scales the survivors by exactly 1/(1 − p)', () => {
    const n = 200_000;
    for (const p of [0.2, 0.5, 0.7]) {
      const ones = new Float32Array(n).fill(1);
      const out = new Float32Array(n);
      const mask = new Float32Array(n);
      dropoutForward(out, mask, ones, p, new Rng(31), n);
      const keep = Math.fround(1 / (1 - p));
      let zeros = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (out[i] === 0) zeros++;
        else if (out[i] !== keep) throw new Error(`p = ${p}: element ${i} is ${out[i]}, neither 0 nor 1/(1 − p) = ${keep}`);
        if (mask[i] !== out[i]) throw new Error(`p = ${p}: mask ${i} is ${mask[i]}, output ${out[i]}`);
        sum += out[i];
      }
      // zeros ~ Binomial(n, p); the mean of the outputs stays 1 (Var of one output = p/(1 − p))
      expect(Math.abs(zeros / n - p), `p = ${p}`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      expect(Math.abs(sum / n - 1), `p = ${p}`).toBeLessThan(5 * Math.sqrt(p / (1 - p) / n));
    }
    // any input: a survivor is x/(1 − p), exactly when 1/(1 − p) is a power of two
    const rng = new Rng(4);
    const x = Float32Array.from({ length: 1000 }, () => rng.normal());
    const out = new Float32Array(1000);
    dropoutForward(out, new Float32Array(1000), x, 0.75, new Rng(5), 1000);
    for (let i = 0; i < 1000; i++) expect(out[i] === 0 || out[i] === 4 * x[i]).toBe(true);
    expect(out.filter((v) => v === 0).length).toBeGreaterThan(650);
  });

  it('is for training only: inference (logits, step) is the same model without dropout', () => {
    const dropped = makeModel('lstm', 'every', { layers: 3, dropout: 0.5 });
    const plain = new Model({ ...dropped.config, dropout: 0 });
    plain.params.set(dropped.params);
    const ids = randomIds(24, 12);
    expect(Array.from(dropped.logits(ids, 4, 6))).toEqual(Array.from(plain.logits(ids, 4, 6)));
    const a = new Float32Array(V);
    const b = new Float32Array(V);
    const sa = dropped.createState();
    const sb = plain.createState();
    for (const id of ids.subarray(0, 6)) {
      dropped.step(sa, id, a);
      plain.step(sb, id, b);
      expect(Array.from(a)).toEqual(Array.from(b));
    }
    // while training with an Rng it does change the forward
    const targets = randomIds(24, 13);
    expect(dropped.forwardBackward(ids, targets, 4, 6, new Rng(1)).loss).not.toBe(plain.forwardBackward(ids, targets, 4, 6, null).loss);
  });
});

describe('initialisation', () => {
  it('follows PyTorch\'s default distributions, reproducibly per seed', () => {
    const H = 64;
    const model = new Model({ cell: 'lstm', layers: 1, vocabSize: 50, embed: 40, hidden: H, window: 4, objective: 'next', dropout: 0 });
    model.initParams(new Rng(5));
    const stats = (name: string) => {
      const a = model.layout.view(model.params, name);
      let sum = 0, sq = 0, max = 0;
      for (const v of a) { sum += v; sq += v * v; max = Math.max(max, Math.abs(v)); }
      const mean = sum / a.length;
      return { mean, std: Math.sqrt(sq / a.length - mean * mean), max };
    };
    const emb = stats('embedding.weight'); // N(0,1), 2000 samples
    expect(Math.abs(emb.mean)).toBeLessThan(0.1);
    expect(Math.abs(emb.std - 1)).toBeLessThan(0.06);
    const bound = 1 / Math.sqrt(H);
    for (const name of ['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'linear.weight', 'linear.bias']) {
      const s = stats(name);
      expect(s.max).toBeLessThanOrEqual(bound);
      // U(-a, a) has standard deviation a/√3
      expect(Math.abs(s.std - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(name === 'linear.bias' || name === 'lstm.bias_ih_l0' ? 0.35 : 0.05);
    }
    const again = new Model(model.config);
    again.initParams(new Rng(5));
    expect(Array.from(again.params)).toEqual(Array.from(model.params));
    again.initParams(new Rng(6));
    expect(Array.from(again.params)).not.toEqual(Array.from(model.params));
  });
});

describe('errors', () => {
  it('are readable', () => {
    const model = makeModel('lstm', 'next');
    expect(() => model.evaluate(Int32Array.from([1, 2, 99]), Int32Array.from([0]), 1, 3)).toThrow(/Token id 99 at position 2 is outside the vocabulary/);
    expect(() => model.evaluate(Int32Array.from([1, 2]), Int32Array.from([0]), 1, 3)).toThrow(/Inputs hold 2 ids; a batch of 1×3 needs 3/);
    expect(() => model.evaluate(Int32Array.from([1, 2, 3]), Int32Array.from([V]), 1, 3)).toThrow(/Target id 9/);
    expect(() => new Model({ ...model.config, hidden: 0 })).toThrow(/hidden size must be a whole number/);
    expect(() => makeModel('gru', 'next').lastForward()).toThrow(/No forward pass/);
  });
});
