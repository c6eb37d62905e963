/**
 * Gradient checks by central finite differences in float64 (torch-rnn's gradcheck, llm.c's test):
 * every parameter element of small models of every cell kind, 1 and 2 layers, both objectives (and
 * with dropout), and every input element of each layer function.
 *
 * The float64 run exercises the real code: the reference kernels (their fused cell and cross-entropy
 * steps included, fusedReference) and the layers only index their buffers, so a kernels object whose
 * `alloc` returns Float64Arrays makes the whole model float64. TypeScript types those buffers as
 * Float32Array, hence the casts below.
 *
 *   relative error = |analytic - numeric| / max(|analytic| + |numeric|, 1e-8)
 */
import { describe, expect, it } from 'vitest';
import { CELL_KINDS, GATES, firstLayerReadsTokens, type CellKind, type ModelConfig, type Objective } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import { fusedReference, type FusedKernels } from '../../engine/kernels/fused.ts';
import type { Kernels } from '../../engine/kernels/types.ts';
import { dropoutBackward, dropoutForward } from '../../engine/layers/dropout.ts';
import { gruBackward, gruForward } from '../../engine/layers/gru.ts';
import { linearBackward, linearForward } from '../../engine/layers/linear.ts';
import { lstmBackward, lstmForward } from '../../engine/layers/lstm.ts';
import { rowsInput } from '../../engine/layers/layer-input.ts';
import type { RecurrentOffsets } from '../../engine/layers/recurrent.ts';
import { rnnBackward, rnnForward } from '../../engine/layers/rnn.ts';
import { Model } from '../../engine/model.ts';

/** A float64 buffer passed where the code expects a Float32Array (see the header). */
const f64 = (n: number): Float32Array => new Float64Array(n) as unknown as Float32Array;
/** The reference kernels, fused steps included, over float64 buffers: the one code path the layers have. */
const kernels64: Kernels & FusedKernels = { ...referenceKernels, alloc: f64 };

it('the float64 kernels run the fused reference steps', () => {
  for (const op of ['lstmCellForward', 'lstmCellBackward', 'gruCellForward', 'gruCellBackward', 'rnnCellForward',
    'rnnCellBackward', 'crossEntropyForward', 'crossEntropyBackward'] as const) {
    expect(kernels64[op], op).toBe(fusedReference[op]);
  }
});

// ε balances truncation (∝ε²) against round-off (∝1e-16/ε); measured worst relative error with these
// settings is ~3e-6 (on gradients near 1e-6), while a formula bug as small as a 0.1% factor on one
// gate fails several checks.
const EPS = 3e-5;
const THRESHOLD = 1e-4;

interface Worst { name: string; index: number; analytic: number; numeric: number; rel: number }

/** Compares analytic gradients of x with central differences of loss() around x; returns the worst element. */
function gradcheck(name: string, x: Float32Array, analytic: ArrayLike<number>, loss: () => number, from = 0, to = x.length): Worst {
  let worst: Worst = { name, index: -1, analytic: 0, numeric: 0, rel: 0 };
  for (let i = from; i < to; i++) {
    const saved = x[i];
    x[i] = saved + EPS;
    const plus = loss();
    x[i] = saved - EPS;
    const minus = loss();
    x[i] = saved;
    const numeric = (plus - minus) / (2 * EPS);
    const a = analytic[i - from];
    const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), 1e-8);
    if (!(rel <= worst.rel)) worst = { name, index: i - from, analytic: a, numeric, rel };
  }
  return worst;
}

function expectSmall(results: Worst[]): void {
  const bad = results.filter((w) => !(w.rel <= THRESHOLD));
  const text = bad.map((w) => `${w.name}[${w.index}]: analytic ${w.analytic}, numeric ${w.numeric}, relative error ${w.rel.toExponential(2)}`);
  expect(text, text.join('\n')).toEqual([]);
}

function randomFill(a: Float32Array, rng: Rng, scale = 1): void {
  for (let i = 0; i < a.length; i++) a[i] = scale * (2 * rng.uniform() - 1);
}

describe('gradcheck: whole model, every parameter element (float64)', () => {
  const cases: { cell: CellKind; layers: number; objective: Objective; dropout: number }[] = [];
  for (const cell of CELL_KINDS) {
    for (const layers of [1, 2]) {
      for (const objective of ['next', 'every'] as const) cases.push({ cell, layers, objective, dropout: 0 });
    }
    cases.push({ cell, layers: 2, objective: 'every', dropout: 0.3 });
  }
  // B·T = 6 tokens: a vocabulary of 5 has the first layer read token ids, one of 7 their embedded rows (layer-input.ts)
  for (const c of cases) for (const V of [5, 7]) {
    it(`${c.cell} ${c.layers} layer(s) ${c.objective}${c.dropout ? ` dropout ${c.dropout}` : ''}, V=${V}`, () => {
      const B = 2;
      const T = 3;
      expect(firstLayerReadsTokens(V, B * T)).toBe(V === 5);
      const config: ModelConfig = { cell: c.cell, layers: c.layers, vocabSize: V, embed: 3, hidden: 4, window: T, objective: c.objective, dropout: c.dropout };
      const model = new Model(config, kernels64);
      expect(model.params).toBeInstanceOf(Float64Array);
      const rng = new Rng(11);
      model.initParams(rng);
      // larger weights than the default init, so gates leave their linear region
      for (let i = 0; i < model.params.length; i++) model.params[i] *= 2;
      const inputs = Int32Array.from({ length: B * T }, () => rng.int(V));
      const targets = Int32Array.from({ length: c.objective === 'next' ? B : B * T }, () => rng.int(V));
      // the same dropout mask on every evaluation: a fresh Rng with one seed
      const run = () => model.forwardBackward(inputs, targets, B, T, c.dropout > 0 ? new Rng(5) : null).loss;
      model.zeroGrads();
      run();
      const analytic = Float64Array.from(model.grads);
      const loss = c.dropout > 0 ? run : () => model.evaluate(inputs, targets, B, T).loss;
      expectSmall(model.layout.specs.map((s) => gradcheck(s.name, model.params, analytic.subarray(s.offset, s.offset + s.size), loss, s.offset, s.offset + s.size)));
    });
  }
});

describe('gradcheck: layer functions, every input and parameter element (float64)', () => {
  const B = 2;
  const T = 4;
  const I = 3;
  const H = 4;

  for (const cell of CELL_KINDS) {
    it(`${cell} layer: dx and dW`, () => {
      const rng = new Rng(3);
      const G = GATES[cell] * H;
      const p: RecurrentOffsets = { wIh: 0, wHh: G * I, bIh: G * I + G * H, bHh: G * I + G * H + G };
      const params = f64(G * I + G * H + 2 * G);
      randomFill(params, rng, 0.8);
      const x = f64(B * T * I);
      randomFill(x, rng);
      const weights = f64(B * T * H); // loss = Σ out ⊙ weights
      randomFill(weights, rng);
      const out = f64(B * T * H);
      const gates = f64(B * T * G);
      const extra = f64(B * T * H); // LSTM cells / GRU hn
      const hPrev = f64(B * T * H);
      const hh = f64(B * G);
      const h = f64(B * H);
      const c = f64(B * H);
      const forward = (): number => {
        h.fill(0);
        c.fill(0);
        const input = rowsInput(x);
        if (cell === 'lstm') lstmForward(out, gates, extra, hPrev, hh, h, c, input, params, p, B, T, I, H, kernels64);
        else if (cell === 'gru') gruForward(out, gates, extra, hPrev, hh, h, input, params, p, B, T, I, H, kernels64);
        else rnnForward(out, hPrev, hh, h, input, params, p, B, T, I, H, kernels64);
        let sum = 0;
        for (let i = 0; i < out.length; i++) sum += out[i] * weights[i];
        return sum;
      };
      forward();
      const dx = f64(x.length);
      const grads = f64(params.length);
      const dG = f64(B * T * G);
      const dG2 = f64(B * T * G);
      const dStep = f64(B * G);
      const dh = f64(B * H);
      const dc = f64(B * H);
      const input = rowsInput(x, dx);
      if (cell === 'lstm') lstmBackward(grads, p, dG, dStep, dh, dc, weights, gates, extra, hPrev, input, params, B, T, I, H, kernels64);
      else if (cell === 'gru') gruBackward(grads, p, dG, dG2, dStep, dh, weights, gates, extra, hPrev, input, params, B, T, I, H, kernels64);
      else rnnBackward(grads, p, dG, dStep, dh, weights, out, hPrev, input, params, B, T, I, H, kernels64);
      expectSmall([
        gradcheck(`${cell} dx`, x, dx, forward),
        gradcheck(`${cell} weight_ih`, params, grads.subarray(p.wIh, p.wIh + G * I), forward, p.wIh, p.wIh + G * I),
        gradcheck(`${cell} weight_hh`, params, grads.subarray(p.wHh, p.wHh + G * H), forward, p.wHh, p.wHh + G * H),
        gradcheck(`${cell} bias_ih`, params, grads.subarray(p.bIh, p.bIh + G), forward, p.bIh, p.bIh + G),
        gradcheck(`${cell} bias_hh`, params, grads.subarray(p.bHh, p.bHh + G), forward, p.bHh, p.bHh + G),
      ]);
    });
  }

  it('linear: dx, dW, db', () => {
    const rng = new Rng(4);
    const M = 3, N = 5, K = 4;
    const params = f64(N * K + N);
    randomFill(params, rng);
    const x = f64(M * K);
    randomFill(x, rng);
    const weights = f64(M * N);
    randomFill(weights, rng);
    const out = f64(M * N);
    const forward = (): number => {
      linearForward(out, x, params, 0, N * K, M, N, K, kernels64);
      let sum = 0;
      for (let i = 0; i < out.length; i++) sum += out[i] * weights[i];
      return sum;
    };
    const dx = f64(M * K);
    const grads = f64(params.length);
    linearBackward(dx, grads, 0, N * K, weights, x, params, 0, M, N, K, kernels64);
    expectSmall([gradcheck('linear dx', x, dx, forward), gradcheck('linear params', params, grads, forward)]);
  });

  it('cross-entropy: dlogits', () => {
    const rng = new Rng(5);
    const N = 4, V = 6;
    const logits = f64(N * V);
    randomFill(logits, rng, 3);
    const targets = Int32Array.from([0, 5, 2, 2]);
    const probs = f64(N * V);
    const loss = () => kernels64.crossEntropyForward(probs, 0, logits, 0, targets, 0, N, V).loss;
    loss();
    const d = f64(N * V);
    kernels64.crossEntropyBackward(d, 0, probs, 0, targets, 0, N, V);
    expectSmall([gradcheck('cross-entropy dlogits', logits, d, loss)]);
  });

  it('dropout: dx with a fixed mask', () => {
    const n = 20;
    const x = f64(n);
    randomFill(x, new Rng(6));
    const weights = f64(n);
    randomFill(weights, new Rng(7));
    const out = f64(n);
    const mask = f64(n);
    const forward = (): number => {
      dropoutForward(out, mask, x, 0.4, new Rng(8), n);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += out[i] * weights[i];
      return sum;
    };
    forward();
    const dx = f64(n);
    dropoutBackward(dx, weights, mask, n);
    expect(Array.from(mask).some((m) => m === 0)).toBe(true);
    expectSmall([gradcheck('dropout dx', x, dx, forward)]);
  });
});
