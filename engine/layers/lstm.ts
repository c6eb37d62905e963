/**
 * LSTM layer, PyTorch's nn.LSTM formulas and weight layout (row blocks i, f, g, o), batch_first.
 * One layer, one direction, no projection; dropout between layers lives in the model.
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
 *
 * Speed: x·W_ihᵀ + b_ih for all B·T rows is one product, and so are the backward's dW_ih, dW_hh,
 * dx; only h·W_hhᵀ (forward) and dGates·W_hh (backward) run per step. When the kernels offer a fused
 * step (engine/kernels/fused.ts, same formulas), it replaces the element-wise loop of each step.
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { sigmoid, type RecurrentOffsets } from './recurrent.ts';

export function lstmForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output
  gates: Float32Array, // (B, T, 4H) activated gates i, f, g, o of every step, cached for backward
  cells: Float32Array, // (B, T, H) cell state after every step, cached for backward
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, 4H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  c: Float32Array, // (B, H) in: initial cell state; out: final cell state (c_n)
  x: Float32Array, // (B, T, I) inputs
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels,
): void {
  const G = 4 * H;
  const fused = kernels as Kernels & FusedKernels;
  // gates ← x·W_ihᵀ + b_ih for every step at once; each step then adds its recurrent part in place
  kernels.matmulABt(gates, 0, x, 0, params, p.wIh, params, p.bIh, B * T, G, I, false);
  for (let t = 0; t < T; t++) {
    kernels.matmulABt(hh, 0, h, 0, params, p.wHh, params, p.bHh, B, G, H, false);
    if (fused.lstmCellForward) {
      fused.lstmCellForward(gates, t * G, T * G, hh, 0, c, 0, h, 0, cells, t * H, out, t * H, hPrev, t * H, T * H, B, H);
      continue;
    }
    for (let b = 0; b < B; b++) {
      const row = b * T + t;
      const gr = row * G;
      const hr = row * H;
      const sr = b * H;
      const hhr = b * G;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[gr + j] + hh[hhr + j]);
        const f = sigmoid(gates[gr + H + j] + hh[hhr + H + j]);
        const g = Math.tanh(gates[gr + 2 * H + j] + hh[hhr + 2 * H + j]);
        const o = sigmoid(gates[gr + 3 * H + j] + hh[hhr + 3 * H + j]);
        gates[gr + j] = i;
        gates[gr + H + j] = f;
        gates[gr + 2 * H + j] = g;
        gates[gr + 3 * H + j] = o;
        c[sr + j] = f * c[sr + j] + i * g;
        const cNew = c[sr + j]; // read back: later steps and the backward see the stored value
        if (hPrev !== null) hPrev[hr + j] = h[sr + j];
        h[sr + j] = o * Math.tanh(cNew);
        cells[hr + j] = cNew;
        out[hr + j] = h[sr + j];
      }
    }
  }
}

/** Backward through all T steps; assumes the forward started from a zero cell state (as training does). */
export function lstmBackward(
  dx: Float32Array, // (B, T, I) += input gradient
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dGates: Float32Array, // (B, T, 4H) scratch: pre-activation gate gradients of every step
  dGatesStep: Float32Array, // (B, 4H) scratch: one step's, contiguous for the recurrent product
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dc: Float32Array, // (B, H) scratch: gradient reaching c from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  gates: Float32Array, // (B, T, 4H) from the forward
  cells: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  x: Float32Array, // (B, T, I) inputs of the forward
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels,
): void {
  const G = 4 * H;
  const fused = kernels as Kernels & FusedKernels;
  dh.fill(0, 0, B * H);
  dc.fill(0, 0, B * H);
  for (let t = T - 1; t >= 0; t--) {
    if (fused.lstmCellBackward) {
      fused.lstmCellBackward(dGates, t * G, T * G, dGatesStep, 0, dh, 0, dc, 0, gates, t * G, cells, t * H,
        t > 0 ? cells : null, (t - 1) * H, dout, t * H, T * H, B, H);
    } else {
      for (let b = 0; b < B; b++) {
        const row = b * T + t;
        const gr = row * G;
        const hr = row * H;
        const sr = b * H;
        const gs = b * G;
        for (let j = 0; j < H; j++) {
          const i = gates[gr + j];
          const f = gates[gr + H + j];
          const g = gates[gr + 2 * H + j];
          const o = gates[gr + 3 * H + j];
          const tc = Math.tanh(cells[hr + j]);
          const cPrev = t > 0 ? cells[hr - H + j] : 0;
          const dhT = dout[hr + j] + dh[sr + j];
          const dcT = dc[sr + j] + dhT * o * (1 - tc * tc);
          const di = dcT * g * i * (1 - i);
          const df = dcT * cPrev * f * (1 - f);
          const dg = dcT * i * (1 - g * g);
          const dO = dhT * tc * o * (1 - o);
          dGates[gr + j] = di;
          dGates[gr + H + j] = df;
          dGates[gr + 2 * H + j] = dg;
          dGates[gr + 3 * H + j] = dO;
          dGatesStep[gs + j] = di;
          dGatesStep[gs + H + j] = df;
          dGatesStep[gs + 2 * H + j] = dg;
          dGatesStep[gs + 3 * H + j] = dO;
          dc[sr + j] = dcT * f;
        }
      }
    }
    // dh_{t-1} = dGates_t · W_hh (not needed before the first step: the initial state is a constant)
    if (t > 0) kernels.matmulAB(dh, 0, dGatesStep, 0, params, p.wHh, B, G, H, false);
  }
  const M = B * T;
  kernels.matmulAtB(grads, p.wIh, dGates, 0, x, 0, M, G, I, true);
  kernels.matmulAtB(grads, p.wHh, dGates, 0, hPrev, 0, M, G, H, true);
  kernels.sumRows(grads, p.bIh, dGates, 0, M, G);
  kernels.sumRows(grads, p.bHh, dGates, 0, M, G);
  kernels.matmulAB(dx, 0, dGates, 0, params, p.wIh, M, G, I, true);
}
