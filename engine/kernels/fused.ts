/**
 * Fused element-wise operations, the one definition of each formula the layers use: one recurrent
 * step of each cell (forward and backward), cross-entropy, and Adam over flat arrays; and, as the same
 * interface, each layer's loop over its steps (steps.ts). Every kernel set offers the cell, step-loop
 * and cross-entropy ones (`assertFusedKernels` checks; adamStep is optional): the
 * reference kernels (engine/kernels/reference.ts) carry `fusedReference` below, the plain TypeScript
 * definition every faster implementation (the WebAssembly kernels) is tested against. Not a layer: no
 * matmuls here, no allocation.
 *
 * Each signature is one step of the layer that calls it (engine/layers/*.ts), batch_first:
 * a per-step slice of a (B, T, X) buffer is B rows of X values at `off + b·stride`, so with
 * stride = T·X and off = t·X the kernels read and write step t in place. Buffers described as
 * "contiguous" have rows of exactly X values. The loops only index their arguments, so they run
 * unchanged on Float64Arrays (the float64 gradient check relies on that).
 *
 * Formulas (PyTorch's):
 *   LSTM  i,f,o = σ(·), g = tanh(·) of (input part + hidden part), gate order i, f, g, o
 *         c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
 *   GRU   r,z = σ(gx + gh), n = tanh(gx_n + r⊙gh_n)   (gh_n includes b_hn), h' = (1-z)⊙n + z⊙h
 *   RNN   h' = tanh(pre + hh)
 *   Cross-entropy (CrossEntropyLoss, reduction 'mean'), with a numerically stable log-softmax:
 *         log p[n,v] = z[n,v] - max_v z[n,:] - log Σ_v exp(z[n,v] - max)
 *         loss = -(1/N) Σ_n log p[n, y_n];  dz += (p - onehot(y)) / N
 *         The model runs it over chunks of a batch's rows: each chunk reports its sum, and its
 *         backward divides by the whole batch's row count (`meanOver`), not the chunk's.
 *         Not a general softmax: the backward assumes the loss is the network's last operation.
 *   Adam (torch.optim.Adam): g += wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
 *         p -= (lr/(1-β1ᵗ)) · m / (√v/√(1-β2ᵗ) + eps)
 */
import { STEP_OPS, type StepKernels } from './steps.ts';
import type { Kernels } from './types.ts';

export interface CrossEntropyStats {
  /** Mean loss over the N rows, in nats. */
  loss: number;
  /** Σ_n -log p[n, y_n] over the N rows (the loss before dividing by N), for callers that add up chunks. */
  sum: number;
  /** Rows whose largest logit (the first maximum on a tie) is the target. */
  correct: number;
}

/** The per-step formulas, and (steps.ts) each layer's loop over its steps. */
export interface FusedKernels extends StepKernels {
  /** One LSTM step. Overwrites gates with the activations; c, h advance one step; copies into cells/out/hPrev. */
  lstmCellForward(
    gates: Float32Array, gatesOff: number, gatesStride: number, // (B, 4H) in: x·W_ihᵀ + b_ih; out: i, f, g, o
    hh: Float32Array, hhOff: number, // (B, 4H) contiguous: h·W_hhᵀ + b_hh
    c: Float32Array, cOff: number, // (B, H) contiguous: in c_{t-1}, out c_t
    h: Float32Array, hOff: number, // (B, H) contiguous: in h_{t-1}, out h_t
    cells: Float32Array, cellsOff: number, // (B, H) rows of `stride`: receives c_t
    out: Float32Array, outOff: number, // (B, H) rows of `stride`: receives h_t
    hPrev: Float32Array | null, hPrevOff: number, // (B, H) rows of `stride`: receives h_{t-1} (null: skip)
    stride: number, B: number, H: number,
  ): void;

  /** One LSTM step backward. Writes (=) pre-activation gradients; dc ← gradient reaching c_{t-1}. dh is read only. */
  lstmCellBackward(
    dGates: Float32Array, dGatesOff: number, gatesStride: number, // (B, 4H) out: dPre of i, f, g, o
    dGatesStep: Float32Array | null, dGatesStepOff: number, // (B, 4H) contiguous copy of dGates (null: skip)
    dh: Float32Array, dhOff: number, // (B, H) contiguous: gradient reaching h_t from step t+1
    dc: Float32Array, dcOff: number, // (B, H) contiguous: in from step t+1, out to step t-1
    gates: Float32Array, gatesOff: number, // (B, 4H) rows of gatesStride: activated gates of step t
    cells: Float32Array, cellsOff: number, // (B, H) rows of `stride`: c_t
    cPrev: Float32Array | null, cPrevOff: number, // (B, H) rows of `stride`: c_{t-1} (null: zero)
    dout: Float32Array, doutOff: number, // (B, H) rows of `stride`: gradient of the loss wrt h_t
    stride: number, B: number, H: number,
  ): void;

  /** One GRU step. Overwrites gates with r, z, n; h advances; copies into hn/out/hPrev. */
  gruCellForward(
    gates: Float32Array, gatesOff: number, gatesStride: number, // (B, 3H) in: x·W_ihᵀ + b_ih; out: r, z, n
    hh: Float32Array, hhOff: number, // (B, 3H) contiguous: h·W_hhᵀ + b_hh
    h: Float32Array, hOff: number, // (B, H) contiguous: in h_{t-1}, out h_t
    hn: Float32Array, hnOff: number, // (B, H) rows of `stride`: receives W_hn·h + b_hn
    out: Float32Array, outOff: number, // (B, H) rows of `stride`: receives h_t
    hPrev: Float32Array | null, hPrevOff: number, // (B, H) rows of `stride`: receives h_{t-1} (null: skip)
    stride: number, B: number, H: number,
  ): void;

  /** One GRU step backward. dh: in gradient reaching h_t from step t+1, out its direct part dhT⊙z (add dGatesStep·W_hh to it). */
  gruCellBackward(
    dGatesI: Float32Array, dGatesIOff: number, // (B, 3H) rows of gatesStride: input-side dPre (=)
    dGatesH: Float32Array, dGatesHOff: number, // (B, 3H) rows of gatesStride: hidden-side dPre (=)
    gatesStride: number,
    dGatesStep: Float32Array | null, dGatesStepOff: number, // (B, 3H) contiguous copy of dGatesH (null: skip)
    dh: Float32Array, dhOff: number, // (B, H) contiguous
    gates: Float32Array, gatesOff: number, // (B, 3H) rows of gatesStride: r, z, n of step t
    hn: Float32Array, hnOff: number, // (B, H) rows of `stride`
    hPrev: Float32Array, hPrevOff: number, // (B, H) rows of `stride`: h_{t-1}
    dout: Float32Array, doutOff: number, // (B, H) rows of `stride`
    stride: number, B: number, H: number,
  ): void;

  /** One tanh-RNN step: out (holding x·W_ihᵀ + b_ih) and h become tanh(out + hh). */
  rnnCellForward(
    out: Float32Array, outOff: number, // (B, H) rows of `stride`: in input part, out h_t
    hh: Float32Array, hhOff: number, // (B, H) contiguous: h·W_hhᵀ + b_hh
    h: Float32Array, hOff: number, // (B, H) contiguous: in h_{t-1}, out h_t
    hPrev: Float32Array | null, hPrevOff: number, // (B, H) rows of `stride`: receives h_{t-1} (null: skip)
    stride: number, B: number, H: number,
  ): void;

  /** One tanh-RNN step backward: dPre = (dout + dh)⊙(1 - h²). dh is read only. */
  rnnCellBackward(
    dPre: Float32Array, dPreOff: number, // (B, H) rows of `stride` (=)
    dPreStep: Float32Array | null, dPreStepOff: number, // (B, H) contiguous copy (null: skip)
    dh: Float32Array, dhOff: number, // (B, H) contiguous
    out: Float32Array, outOff: number, // (B, H) rows of `stride`: h_t
    dout: Float32Array, doutOff: number, // (B, H) rows of `stride`
    stride: number, B: number, H: number,
  ): void;

  /** probs ← softmax(logits) row-wise; mean loss and top-1 count. Throws on a target outside [0, V). */
  crossEntropyForward(
    probs: Float32Array, probsOff: number, // (N, V)
    logits: Float32Array, logitsOff: number, // (N, V)
    targets: Int32Array, targetsOff: number, // (N)
    N: number, V: number,
  ): CrossEntropyStats;

  /** dlogits += (probs - onehot(y)) / meanOver, over N rows; meanOver (default N) is the batch's row count when these rows are one chunk of it. */
  crossEntropyBackward(
    dlogits: Float32Array, dlogitsOff: number, // (N, V)
    probs: Float32Array, probsOff: number, // (N, V)
    targets: Int32Array, targetsOff: number, // (N)
    N: number, V: number,
    meanOver?: number,
  ): void;

  /**
   * One Adam step over n elements starting at `off` of four arrays in the same layout; `step` is t ≥ 1.
   * Optional: engine/optim/adam.ts uses it on the WebAssembly path only (its own loop rounds each
   * update from float64, as the TypeScript path always has).
   */
  adamStep?(
    params: Float32Array, grads: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, off: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
  ): void;
}

/** The operations every kernel set offers; a Kernels object without them cannot run the layers. */
const FUSED_OPS = [
  'lstmCellForward', 'lstmCellBackward', 'gruCellForward', 'gruCellBackward', 'rnnCellForward', 'rnnCellBackward',
  'crossEntropyForward', 'crossEntropyBackward', ...STEP_OPS,
] as const satisfies readonly (keyof FusedKernels)[];

/** Narrows a Kernels object to one that offers the fused operations; throws a readable error otherwise. */
export function assertFusedKernels(kernels: Kernels): asserts kernels is Kernels & FusedKernels {
  const missing = FUSED_OPS.filter((op) => typeof (kernels as Partial<FusedKernels>)[op] !== 'function');
  if (missing.length > 0) {
    throw new Error(`The "${kernels.path}" kernels lack ${missing.join(', ')}; every kernel set must offer the fused operations of engine/kernels/fused.ts (the TypeScript ones are fusedReference).`);
  }
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function targetError(y: number, n: number, V: number): Error {
  return new Error(`Target id ${y} at position ${n} is outside the vocabulary (ids 0 to ${V - 1}).`);
}

/** The formulas; the step loops over them are steps.ts's `stepLoops`. */
export const fusedReference: Required<Omit<FusedKernels, keyof StepKernels>> = {
  lstmCellForward(gates, gOff, gStride, hh, hhOff, c, cOff, h, hOff, cells, cellsOff, out, outOff, hPrev, hPrevOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const gr = gOff + b * gStride;
      const hhr = hhOff + b * 4 * H;
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[gr + j] + hh[hhr + j]);
        const f = sigmoid(gates[gr + H + j] + hh[hhr + H + j]);
        const g = Math.tanh(gates[gr + 2 * H + j] + hh[hhr + 2 * H + j]);
        const o = sigmoid(gates[gr + 3 * H + j] + hh[hhr + 3 * H + j]);
        gates[gr + j] = i;
        gates[gr + H + j] = f;
        gates[gr + 2 * H + j] = g;
        gates[gr + 3 * H + j] = o;
        const ci = cOff + b * H + j;
        const hi = hOff + b * H + j;
        c[ci] = f * c[ci] + i * g;
        if (hPrev !== null) hPrev[hPrevOff + sr + j] = h[hi];
        h[hi] = o * Math.tanh(c[ci]);
        cells[cellsOff + sr + j] = c[ci];
        out[outOff + sr + j] = h[hi];
      }
    }
  },

  lstmCellBackward(dGates, dgOff, gStride, dGatesStep, dgsOff, dh, dhOff, dc, dcOff, gates, gOff, cells, cellsOff, cPrev, cPrevOff, dout, doutOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const gr = gOff + b * gStride;
      const dgr = dgOff + b * gStride;
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const i = gates[gr + j];
        const f = gates[gr + H + j];
        const g = gates[gr + 2 * H + j];
        const o = gates[gr + 3 * H + j];
        const tc = Math.tanh(cells[cellsOff + sr + j]);
        const cp = cPrev === null ? 0 : cPrev[cPrevOff + sr + j];
        const dhT = dout[doutOff + sr + j] + dh[dhOff + b * H + j];
        const dcT = dc[dcOff + b * H + j] + dhT * o * (1 - tc * tc);
        const di = dcT * g * i * (1 - i);
        const df = dcT * cp * f * (1 - f);
        const dg = dcT * i * (1 - g * g);
        const dO = dhT * tc * o * (1 - o);
        dGates[dgr + j] = di;
        dGates[dgr + H + j] = df;
        dGates[dgr + 2 * H + j] = dg;
        dGates[dgr + 3 * H + j] = dO;
        if (dGatesStep !== null) {
          const s = dgsOff + b * 4 * H;
          dGatesStep[s + j] = di;
          dGatesStep[s + H + j] = df;
          dGatesStep[s + 2 * H + j] = dg;
          dGatesStep[s + 3 * H + j] = dO;
        }
        dc[dcOff + b * H + j] = dcT * f;
      }
    }
  },

  gruCellForward(gates, gOff, gStride, hh, hhOff, h, hOff, hn, hnOff, out, outOff, hPrev, hPrevOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const gr = gOff + b * gStride;
      const hhr = hhOff + b * 3 * H;
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gates[gr + j] + hh[hhr + j]);
        const z = sigmoid(gates[gr + H + j] + hh[hhr + H + j]);
        const hnv = hh[hhr + 2 * H + j];
        const n = Math.tanh(gates[gr + 2 * H + j] + r * hnv);
        gates[gr + j] = r;
        gates[gr + H + j] = z;
        gates[gr + 2 * H + j] = n;
        hn[hnOff + sr + j] = hnv;
        const hi = hOff + b * H + j;
        const hp = h[hi];
        if (hPrev !== null) hPrev[hPrevOff + sr + j] = hp;
        h[hi] = (1 - z) * n + z * hp;
        out[outOff + sr + j] = h[hi];
      }
    }
  },

  gruCellBackward(dGatesI, dgiOff, dGatesH, dghOff, gStride, dGatesStep, dgsOff, dh, dhOff, gates, gOff, hn, hnOff, hPrev, hPrevOff, dout, doutOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const gr = gOff + b * gStride;
      const ir = dgiOff + b * gStride;
      const hr = dghOff + b * gStride;
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const r = gates[gr + j];
        const z = gates[gr + H + j];
        const n = gates[gr + 2 * H + j];
        const di = dhOff + b * H + j;
        const dhT = dout[doutOff + sr + j] + dh[di];
        const dnPre = dhT * (1 - z) * (1 - n * n);
        const dzPre = dhT * (hPrev[hPrevOff + sr + j] - n) * z * (1 - z);
        const drPre = dnPre * hn[hnOff + sr + j] * r * (1 - r);
        dGatesI[ir + j] = drPre;
        dGatesI[ir + H + j] = dzPre;
        dGatesI[ir + 2 * H + j] = dnPre;
        dGatesH[hr + j] = drPre;
        dGatesH[hr + H + j] = dzPre;
        dGatesH[hr + 2 * H + j] = dnPre * r;
        if (dGatesStep !== null) {
          const s = dgsOff + b * 3 * H;
          dGatesStep[s + j] = drPre;
          dGatesStep[s + H + j] = dzPre;
          dGatesStep[s + 2 * H + j] = dnPre * r;
        }
        dh[di] = dhT * z;
      }
    }
  },

  rnnCellForward(out, outOff, hh, hhOff, h, hOff, hPrev, hPrevOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const hi = hOff + b * H + j;
        if (hPrev !== null) hPrev[hPrevOff + sr + j] = h[hi];
        h[hi] = Math.tanh(out[outOff + sr + j] + hh[hhOff + b * H + j]);
        out[outOff + sr + j] = h[hi];
      }
    }
  },

  rnnCellBackward(dPre, dPreOff, dPreStep, dPreStepOff, dh, dhOff, out, outOff, dout, doutOff, stride, B, H) {
    for (let b = 0; b < B; b++) {
      const sr = b * stride;
      for (let j = 0; j < H; j++) {
        const y = out[outOff + sr + j];
        const d = (dout[doutOff + sr + j] + dh[dhOff + b * H + j]) * (1 - y * y);
        dPre[dPreOff + sr + j] = d;
        if (dPreStep !== null) dPreStep[dPreStepOff + b * H + j] = d;
      }
    }
  },

  crossEntropyForward(probs, pOff, logits, lOff, targets, tOff, N, V) {
    let total = 0;
    let correct = 0;
    for (let n = 0; n < N; n++) {
      const lr = lOff + n * V;
      const pr = pOff + n * V;
      const y = targets[tOff + n];
      if (!(y >= 0 && y < V)) throw targetError(y, n, V);
      let max = -Infinity;
      let argmax = 0;
      for (let v = 0; v < V; v++) {
        if (logits[lr + v] > max) {
          max = logits[lr + v];
          argmax = v;
        }
      }
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(logits[lr + v] - max);
        probs[pr + v] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) probs[pr + v] *= inv;
      total -= logits[lr + y] - max - Math.log(sum);
      if (argmax === y) correct++;
    }
    return { loss: total / N, sum: total, correct };
  },

  crossEntropyBackward(dlogits, dOff, probs, pOff, targets, tOff, N, V, meanOver = N) {
    const scale = 1 / meanOver;
    for (let n = 0; n < N; n++) {
      for (let v = 0; v < V; v++) dlogits[dOff + n * V + v] += probs[pOff + n * V + v] * scale;
      dlogits[dOff + n * V + targets[tOff + n]] -= scale;
    }
  },

  adamStep(params, grads, expAvg, expAvgSq, off, n, lr, beta1, beta2, eps, weightDecay, step) {
    const bc1 = 1 - beta1 ** step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = lr / bc1;
    for (let i = off; i < off + n; i++) {
      const g = grads[i] + weightDecay * params[i];
      expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
      expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
      params[i] -= stepSize * (expAvg[i] / (Math.sqrt(expAvgSq[i]) / bc2Sqrt + eps));
    }
  },
};
