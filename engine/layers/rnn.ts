/**
 * Elman RNN layer, PyTorch's nn.RNN with nonlinearity 'tanh', batch_first. One layer, one direction.
 *
 *   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
 *
 * Speed: as in lstm.ts, only h·W_hhᵀ and dPre·W_hh run per step (rnnForwardSteps / rnnBackwardSteps,
 * engine/kernels/steps.ts); the element-wise part of each step is the kernels' rnnCellForward /
 * rnnCellBackward (engine/kernels/fused.ts).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { projectInput, type LayerInput } from './layer-input.ts';
import { recurrentParamsBackward, type RecurrentOffsets } from './recurrent.ts';

export function rnnForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output (also cached for backward)
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  input: LayerInput, // (B, T, I) inputs: rows, or token ids into a table (layer-input.ts)
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  // out ← x·W_ihᵀ + b_ih for every step at once; each step then turns its rows into h
  projectInput(out, input, params, p, B * T, H, I, kernels);
  kernels.rnnForwardSteps(out, hPrev, hh, h, params, p.wHh, p.bHh, B, T, H);
}

export function rnnBackward(
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dPre: Float32Array, // (B, T, H) scratch: gradients of the pre-activations of every step
  dPreStep: Float32Array, // (B, H) scratch: one step's, contiguous for the recurrent product
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  out: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  input: LayerInput, // the forward's input; its gradient target receives dx (+=)
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  kernels.rnnBackwardSteps(dPre, dPreStep, dh, out, dout, params, p.wHh, B, T, H);
  recurrentParamsBackward(grads, p, dPre, dPre, input, hPrev, params, B, T, I, H, H, kernels);
}
