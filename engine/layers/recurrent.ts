/**
 * What the three recurrent layers (lstm.ts, gru.ts, rnn.ts) share: where one layer's tensors sit in
 * the flat parameter (and gradient) array, and the backward's products over all steps at once. Not a
 * layer itself; the cell formulas live in engine/kernels/fused.ts.
 *
 * With dPre_x, dPre_h the gradients of the input-side and hidden-side pre-activations of every step
 * (the same buffer except for the GRU, where r scales the hidden n-part), summed over the B·T rows:
 *   dW_ih += dPre_xᵀ x    dW_hh += dPre_hᵀ h_{t-1}    db_ih += Σ dPre_x    db_hh += Σ dPre_h
 *   dx += dPre_x W_ih
 * The input side (dW_ih, db_ih, dx) is layer-input.ts's, which also knows inputs that are token ids.
 */
import type { Kernels } from '../kernels/types.ts';
import { projectInputBackward, type LayerInput } from './layer-input.ts';

/** Element offsets of one layer's weight_ih (G·H, I), weight_hh (G·H, H), bias_ih (G·H), bias_hh (G·H). */
export interface RecurrentOffsets {
  wIh: number;
  wHh: number;
  bIh: number;
  bHh: number;
}

/** The weight, bias and input gradients of a recurrent layer from its pre-activation gradients (all +=). */
export function recurrentParamsBackward(
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dPreX: Float32Array, // (B, T, G) gradients of the input-side pre-activations of every step
  dPreH: Float32Array, // (B, T, G) gradients of the hidden-side pre-activations of every step
  input: LayerInput, // what the forward read; its gradient target receives dx
  hPrev: Float32Array, // (B, T, H) hidden state entering every step, from the forward
  params: Float32Array,
  B: number, T: number, I: number, H: number, G: number, // G: rows of W_ih and W_hh (gates · H)
  kernels: Kernels,
): void {
  const M = B * T;
  kernels.matmulAtB(grads, p.wHh, dPreH, 0, hPrev, 0, M, G, H, true);
  kernels.sumRows(grads, p.bHh, dPreH, 0, M, G);
  projectInputBackward(grads, p, dPreX, input, params, M, G, I, kernels);
}
