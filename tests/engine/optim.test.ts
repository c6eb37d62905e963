/**
 * Optimizers, clipping and schedules against their formulas, computed independently here in float64
 * (PyTorch's documented algorithms; the same numbers were cross-checked once against torch 1.13 by
 * hand, not hard-coded). Our optimizers keep float32 state, hence the float32-sized tolerances.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { Adam, clipGradNorm, createOptimizer, learningRateAt, RmsProp, Sgd, type Optimizer } from '../../engine/optim/index.ts';

const N = 16;
const STEPS = 6;

function problem(seed: number): { p0: Float64Array; grads: Float64Array[] } {
  const rng = new Rng(seed);
  const f = () => Float64Array.from({ length: N }, () => Math.fround(rng.normal()));
  return { p0: f(), grads: Array.from({ length: STEPS }, f) };
}

/** Runs our optimizer over the problem; grads are fixed per step (not functions of the params). */
function runOurs(opt: Optimizer, p0: Float64Array, grads: Float64Array[], lr: number): Float32Array {
  const p = Float32Array.from(p0);
  for (const g of grads) opt.step(p, Float32Array.from(g), lr);
  return p;
}

function expectClose(ours: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(ours[i] - expected[i]) / (1e-6 + Math.abs(expected[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `element ${at}: ours ${ours[at]}, expected ${expected[at]}`).toBeLessThanOrEqual(tol);
}

describe('SGD', () => {
  it('plain SGD is θ - lr·g', () => {
    const { p0, grads } = problem(1);
    const ours = runOurs(new Sgd(N), p0, grads, 0.1);
    const p = Float64Array.from(p0);
    for (const g of grads) for (let i = 0; i < N; i++) p[i] -= 0.1 * g[i];
    expectClose(ours, p);
  });

  it('momentum: buffer starts at the first gradient, then b = μb + g; with weight decay', () => {
    const { p0, grads } = problem(2);
    const mu = 0.9, wd = 0.01, lr = 0.05;
    const ours = runOurs(new Sgd(N, mu, wd), p0, grads, lr);
    const p = Float64Array.from(p0);
    const b = new Float64Array(N);
    grads.forEach((g0, t) => {
      for (let i = 0; i < N; i++) {
        const g = g0[i] + wd * p[i];
        b[i] = t === 0 ? g : mu * b[i] + g;
        p[i] -= lr * b[i];
      }
    });
    expectClose(ours, p);
  });

  it('first momentum step equals plain SGD (PyTorch initialises the buffer to g, not 0)', () => {
    const { p0, grads } = problem(3);
    expectClose(runOurs(new Sgd(N, 0.9), p0, [grads[0]], 0.1), runOurs(new Sgd(N), p0, [grads[0]], 0.1), 0);
  });
});

describe('RMSprop', () => {
  for (const [mu, wd] of [[0, 0], [0.5, 0.01]] as const) {
    it(`v = αv + (1-α)g², θ -= lr·g/(√v+ε), momentum ${mu}, weight decay ${wd}`, () => {
      const { p0, grads } = problem(4);
      const lr = 0.01, alpha = 0.99, eps = 1e-8;
      const ours = runOurs(new RmsProp(N, mu, wd), p0, grads, lr);
      const p = Float64Array.from(p0);
      const v = new Float64Array(N);
      const b = new Float64Array(N);
      for (const g0 of grads) {
        for (let i = 0; i < N; i++) {
          const g = g0[i] + wd * p[i];
          v[i] = alpha * v[i] + (1 - alpha) * g * g;
          const u = g / (Math.sqrt(v[i]) + eps);
          if (mu > 0) {
            b[i] = mu * b[i] + u;
            p[i] -= lr * b[i];
          } else p[i] -= lr * u;
        }
      }
      expectClose(ours, p, 1e-5);
    });
  }

  it('first step without momentum moves each weight by lr/√(1-α) = 10·lr against its gradient sign', () => {
    // v₁ = (1-α)g², so g/√v₁ = sign(g)/√0.01 = ±10
    const { p0, grads } = problem(5);
    const ours = runOurs(new RmsProp(N), p0, [grads[0]], 0.001);
    for (let i = 0; i < N; i++) expect(ours[i]).toBeCloseTo(p0[i] - 0.01 * Math.sign(grads[0][i]), 5);
  });
});

describe('Adam', () => {
  it('bias-corrected moments, L2 weight decay added to the gradient', () => {
    const { p0, grads } = problem(6);
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
    const ours = runOurs(new Adam(N, wd), p0, grads, lr);
    const p = Float64Array.from(p0);
    const m = new Float64Array(N);
    const v = new Float64Array(N);
    grads.forEach((g0, k) => {
      const t = k + 1;
      for (let i = 0; i < N; i++) {
        const g = g0[i] + wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        const mHat = m[i] / (1 - b1 ** t);
        const vHat = v[i] / (1 - b2 ** t);
        p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
    expectClose(ours, p, 1e-5);
  });

  it('first step is lr·g/(|g|+ε): about lr against the gradient sign', () => {
    const { p0, grads } = problem(7);
    const ours = runOurs(new Adam(N), p0, [grads[0]], 0.01);
    for (let i = 0; i < N; i++) expect(ours[i]).toBeCloseTo(p0[i] - 0.01 * Math.sign(grads[0][i]), 6);
  });
});

describe('optimizer state', () => {
  for (const kind of ['adam', 'sgd', 'rmsprop'] as const) {
    it(`${kind}: save after 3 steps, load into a fresh optimizer, continue = uninterrupted run`, () => {
      const { p0, grads } = problem(8);
      const h = { optimizer: kind, momentum: 0.7, weightDecay: 0.001 };
      const whole = runOurs(createOptimizer(h, N), p0, grads, 0.01);
      const first = createOptimizer(h, N);
      const p = Float32Array.from(p0);
      for (const g of grads.slice(0, 3)) first.step(p, Float32Array.from(g), 0.01);
      const saved = Object.fromEntries(Object.entries(first.state()).map(([k, v]) => [k, Float32Array.from(v)]));
      const second = createOptimizer(h, N);
      second.loadState(first.stepCount, saved);
      for (const g of grads.slice(3)) second.step(p, Float32Array.from(g), 0.01);
      expect(second.kind).toBe(kind);
      expect(second.stepCount).toBe(STEPS);
      expect(Array.from(p)).toEqual(Array.from(whole));
    });
  }

  it('state names are PyTorch state names', () => {
    expect(Object.keys(createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, 2).state()).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(Object.keys(createOptimizer({ optimizer: 'sgd', momentum: 0.9, weightDecay: 0 }, 2).state())).toEqual(['momentum_buffer']);
    expect(Object.keys(createOptimizer({ optimizer: 'rmsprop', momentum: 0, weightDecay: 0 }, 2).state())).toEqual(['square_avg']);
  });

  it('a mis-sized buffer is a readable error', () => {
    const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, 4);
    expect(() => opt.loadState(1, { exp_avg: new Float32Array(3), exp_avg_sq: new Float32Array(4) })).toThrow(/exp_avg.*3 values.*4 parameters/);
  });
});

describe('clipGradNorm', () => {
  it('returns the L2 norm and scales by maxNorm/(norm+1e-6) when above maxNorm', () => {
    const g = Float32Array.from([3, 4, 12]); // norm 13 (a 3-4-12 Pythagorean quadruple)
    expect(clipGradNorm(g, 5)).toBeCloseTo(13, 6);
    const c = 5 / (13 + 1e-6);
    expectClose(g, [3 * c, 4 * c, 12 * c]);
    let sq = 0;
    for (const x of g) sq += x * x;
    expect(Math.sqrt(sq)).toBeCloseTo(5, 5);
  });

  it('leaves gradients alone below maxNorm and when maxNorm is 0', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipGradNorm(g, 10)).toBeCloseTo(5, 6);
    expect(Array.from(g)).toEqual([3, 4]);
    expect(clipGradNorm(g, 0)).toBeCloseTo(5, 6);
    expect(Array.from(g)).toEqual([3, 4]);
  });
});

describe('learningRateAt', () => {
  const h = (over: Partial<Hyperparameters>): Hyperparameters => ({ ...DEFAULT_HYPERPARAMETERS, lr: 0.1, ...over });

  it('constant', () => {
    expect(learningRateAt(h({ schedule: 'constant' }), 0, 100)).toBe(0.1);
    expect(learningRateAt(h({ schedule: 'constant' }), 99, 100)).toBe(0.1);
  });

  it('step decay: lr·γ^⌊step/decayEvery⌋', () => {
    const s = h({ schedule: 'step', decayEvery: 10, decayGamma: 0.5 });
    for (const step of [0, 9, 10, 19, 20, 35]) expect(learningRateAt(s, step, 100)).toBeCloseTo(0.1 * 0.5 ** Math.floor(step / 10), 12);
    expect(learningRateAt(s, 9, 100)).toBe(0.1);
    expect(learningRateAt(s, 10, 100)).toBeCloseTo(0.05, 12);
  });

  it('cosine: lr·(1+cos(π·step/total))/2, from lr to 0', () => {
    const s = h({ schedule: 'cosine' });
    expect(learningRateAt(s, 0, 100)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 50, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(s, 25, 100)).toBeCloseTo((0.1 * (1 + Math.SQRT1_2)) / 2, 12);
    expect(learningRateAt(s, 100, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt(s, 150, 100)).toBeCloseTo(0, 12);
  });
});
