/**
 * Elman RNN layer, PyTorch's nn.RNN with nonlinearity 'tanh', batch_first. One layer, one direction.
 *
 *   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
 *
 * Speed: as in lstm.ts, only h·W_hhᵀ and dPre·W_hh run per step; the element-wise part of each step is
 * the kernels' rnnCellForward / rnnCellBackward (engine/kernels/fused.ts).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { recurrentParamsBackward, type RecurrentOffsets } from './recurrent.ts';

export function rnnForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output (also cached for backward)
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  x: Float32Array, // (B, T, I) inputs
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  // out ← x·W_ihᵀ + b_ih for every step at once; each step then turns its rows into h
  kernels.matmulABt(out, 0, x, 0, params, p.wIh, params, p.bIh, B * T, H, I, false);
  for (let t = 0; t < T; t++) {
    kernels.matmulABt(hh, 0, h, 0, params, p.wHh, params, p.bHh, B, H, H, false);
    kernels.rnnCellForward(out, t * H, hh, 0, h, 0, hPrev, t * H, T * H, B, H);
  }
}

export function rnnBackward(
  dx: Float32Array, // (B, T, I) += input gradient
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dPre: Float32Array, // (B, T, H) scratch: gradients of the pre-activations of every step
  dPreStep: Float32Array, // (B, H) scratch: one step's, contiguous for the recurrent product
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  out: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  x: Float32Array, // (B, T, I) inputs of the forward
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  dh.fill(0, 0, B * H);
  for (let t = T - 1; t >= 0; t--) {
    kernels.rnnCellBackward(dPre, t * H, dPreStep, 0, dh, 0, out, t * H, dout, t * H, T * H, B, H);
    if (t > 0) kernels.matmulAB(dh, 0, dPreStep, 0, params, p.wHh, B, H, H, false, t < T - 1);
  }
  recurrentParamsBackward(dx, grads, p, dPre, dPre, x, hPrev, params, B, T, I, H, H, kernels);
}
