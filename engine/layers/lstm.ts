/**
 * LSTM layer, PyTorch's nn.LSTM formulas and weight layout (row blocks i, f, g, o), batch_first.
 * One layer, one direction, no projection; dropout between layers lives in the model.
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
 *
 * Speed: x·W_ihᵀ + b_ih for all B·T rows is one product, and so are the backward's dW_ih, dW_hh,
 * dx (recurrent.ts); only h·W_hhᵀ (forward) and dGates·W_hh (backward) run per step. The element-wise
 * part of each step is the kernels' lstmCellForward / lstmCellBackward (engine/kernels/fused.ts).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { recurrentParamsBackward, type RecurrentOffsets } from './recurrent.ts';

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
  kernels: Kernels & FusedKernels,
): void {
  const G = 4 * H;
  // gates ← x·W_ihᵀ + b_ih for every step at once; each step then adds its recurrent part in place
  kernels.matmulABt(gates, 0, x, 0, params, p.wIh, params, p.bIh, B * T, G, I, false);
  for (let t = 0; t < T; t++) {
    kernels.matmulABt(hh, 0, h, 0, params, p.wHh, params, p.bHh, B, G, H, false);
    kernels.lstmCellForward(gates, t * G, T * G, hh, 0, c, 0, h, 0, cells, t * H, out, t * H, hPrev, t * H, T * H, B, H);
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
  kernels: Kernels & FusedKernels,
): void {
  const G = 4 * H;
  dh.fill(0, 0, B * H);
  dc.fill(0, 0, B * H);
  for (let t = T - 1; t >= 0; t--) {
    kernels.lstmCellBackward(dGates, t * G, T * G, dGatesStep, 0, dh, 0, dc, 0, gates, t * G, cells, t * H,
      t > 0 ? cells : null, (t - 1) * H, dout, t * H, T * H, B, H);
    // dh_{t-1} = dGates_t · W_hh (not needed before the first step: the initial state is a constant)
    if (t > 0) kernels.matmulAB(dh, 0, dGatesStep, 0, params, p.wHh, B, G, H, false, t < T - 1);
  }
  recurrentParamsBackward(dx, grads, p, dGates, dGates, x, hPrev, params, B, T, I, H, G, kernels);
}
