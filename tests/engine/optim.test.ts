/**
 * Optimizers, clipping and schedules against their formulas, computed independently here in float64
 * (PyTorch's documented algorithms), then against PyTorch itself: torch.optim, clip_grad_norm_ and
 * lr_scheduler run in /usr/bin/python3 on the same parameters and gradients, compared element by
 * element after every step. Our optimizers keep float32 state, hence the float32-sized tolerances.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { Adam, clipGradNorm, createOptimizer, learningRateAt, RmsProp, Sgd, type Optimizer } from '../../engine/optim/index.ts';
import { runPython } from './python.ts';

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

// ---- PyTorch itself, via /usr/bin/python3 (as in checkpoint.test.ts: fails, never skips, without torch) ----


interface TorchCase {
  name: string;
  optimizer: 'sgd' | 'rmsprop' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
}

const TORCH_CASES: TorchCase[] = [
  { name: 'SGD(momentum=0.9, weight_decay=0.01)', optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
  { name: 'RMSprop(weight_decay=0.01)', optimizer: 'rmsprop', lr: 0.01, momentum: 0, weightDecay: 0.01 },
  { name: 'RMSprop(momentum=0.5, weight_decay=0.01)', optimizer: 'rmsprop', lr: 0.01, momentum: 0.5, weightDecay: 0.01 },
  { name: 'Adam(weight_decay=0.1)', optimizer: 'adam', lr: 0.01, momentum: 0, weightDecay: 0.1 },
];
const CLIP_GRADS = [[3, 4, 12], [0.1, -0.2, 0.05], [-7.5, 1e-3, 2.25, 40]];
const CLIP_MAX = 5;
const SCHEDULE_STEPS = 24;
const STEP_LR = { lr: 0.1, decayEvery: 5, decayGamma: 0.5 };

interface TorchResults {
  /** Parameters after each step, per case. */
  trajectories: number[][][];
  clip: { norm: number; grads: number[] }[];
  /** The learning rate each step 0..SCHEDULE_STEPS runs at. */
  stepLr: number[];
  cosine: number[];
}

const TORCH_SCRIPT = `
import json, sys
import torch

job = json.load(sys.stdin)
out = {"trajectories": [], "clip": []}
for case in job["cases"]:
    p = torch.nn.Parameter(torch.tensor(job["p0"], dtype=torch.float32))
    kind, lr, mu, wd = case["optimizer"], case["lr"], case["momentum"], case["weightDecay"]
    if kind == "sgd":
        opt = torch.optim.SGD([p], lr=lr, momentum=mu, weight_decay=wd)
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop([p], lr=lr, alpha=0.99, eps=1e-8, momentum=mu, weight_decay=wd)
    else:
        opt = torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    steps = []
    for g in job["grads"]:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        steps.append(p.detach().tolist())
    out["trajectories"].append(steps)
for g in job["clip"]:
    p = torch.nn.Parameter(torch.zeros(len(g)))
    p.grad = torch.tensor(g, dtype=torch.float32)
    norm = torch.nn.utils.clip_grad_norm_([p], job["clipMax"])
    out["clip"].append({"norm": float(norm), "grads": p.grad.tolist()})

def lrs(make):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=job["stepLr"]["lr"])
    sched = make(opt)
    seen = []
    for _ in range(job["scheduleSteps"] + 1):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return seen
s = job["stepLr"]
out["stepLr"] = lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=s["decayEvery"], gamma=s["decayGamma"]))
out["cosine"] = lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=job["scheduleSteps"], eta_min=0))
print(json.dumps(out))
`;

let torchResults: TorchResults | Error | undefined;

/** One python3 process for every comparison (importing torch takes seconds). */
function torchResultsFor(p0: Float64Array, grads: Float64Array[]): TorchResults {
  if (torchResults === undefined) {
    try {
      const job = {
        p0: Array.from(p0), grads: grads.map((g) => Array.from(g)), cases: TORCH_CASES,
        clip: CLIP_GRADS, clipMax: CLIP_MAX, stepLr: STEP_LR, scheduleSteps: SCHEDULE_STEPS,
      };
      torchResults = JSON.parse(runPython(TORCH_SCRIPT, { input: JSON.stringify(job) })) as TorchResults;
    } catch (err) {
      torchResults = err as Error;
    }
  }
  if (torchResults instanceof Error) throw torchResults;
  return torchResults;
}

/** numpy.allclose per element, |ours − torch| ≤ atol + rtol·|torch|: float32 rounding near 0 is absolute, not relative. */
function expectAllClose(ours: ArrayLike<number>, torch: ArrayLike<number>, label: string, rtol = 1e-5, atol = 1e-7): void {
  expect(ours.length, label).toBe(torch.length);
  for (let i = 0; i < torch.length; i++) {
    if (!(Math.abs(ours[i] - torch[i]) <= atol + rtol * Math.abs(torch[i]))) {
      expect.fail(`${label}, element ${i}: ours ${ours[i]}, PyTorch ${torch[i]} (|difference| ${Math.abs(ours[i] - torch[i])})`);
    }
  }
}


describe('against PyTorch (torch.optim, clip_grad_norm_, lr_scheduler via /usr/bin/python3)', () => {
  const { p0, grads } = problem(9);

  TORCH_CASES.forEach((c, index) => {
    it(`${c.name}: the same parameters after each of ${STEPS} steps, element by element`, () => {
      const torch = torchResultsFor(p0, grads).trajectories[index];
      const opt = createOptimizer(c, N);
      const p = Float32Array.from(p0);
      grads.forEach((g, step) => {
        opt.step(p, Float32Array.from(g), c.lr);
        expectAllClose(p, torch[step], `after step ${step + 1}`);
      });
    });
  });

  it(`clip_grad_norm_(max_norm=${CLIP_MAX}): the same total norm and the same clipped gradients`, () => {
    const torch = torchResultsFor(p0, grads).clip;
    CLIP_GRADS.forEach((g0, i) => {
      const g = Float32Array.from(g0);
      expect(clipGradNorm(g, CLIP_MAX)).toBeCloseTo(torch[i].norm, 5);
      expectAllClose(g, torch[i].grads, `gradient ${i}`);
    });
  });

  it('StepLR and CosineAnnealingLR: the same learning rate at every step', () => {
    const torch = torchResultsFor(p0, grads);
    const h = { ...DEFAULT_HYPERPARAMETERS, ...STEP_LR };
    for (let step = 0; step <= SCHEDULE_STEPS; step++) {
      expect(learningRateAt({ ...h, schedule: 'step' }, step, SCHEDULE_STEPS), `StepLR at step ${step}`).toBeCloseTo(torch.stepLr[step], 12);
      expect(learningRateAt({ ...h, schedule: 'cosine' }, step, SCHEDULE_STEPS), `cosine at step ${step}`).toBeCloseTo(torch.cosine[step], 12);
    }
  });
});
