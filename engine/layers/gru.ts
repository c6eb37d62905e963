/**
 * GRU layer, PyTorch's nn.GRU formulas and weight layout (row blocks r, z, n), batch_first.
 * One layer, one direction; note b_hn sits inside the reset product, as in PyTorch (not the
 * original paper's variant).
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 - z) ⊙ n + z ⊙ h
 *
 * Speed: as in lstm.ts, only h·W_hhᵀ and dGates·W_hh run per step (gruForwardSteps / gruBackwardSteps,
 * engine/kernels/steps.ts). The input side and the hidden side have different gate gradients (r scales
 * the hidden n-part), hence two gradient buffers. The element-wise part of each step is the kernels'
 * gruCellForward / gruCellBackward (engine/kernels/fused.ts).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { projectInput, type LayerInput } from './layer-input.ts';
import { recurrentParamsBackward, type RecurrentOffsets } from './recurrent.ts';

export function gruForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output
  gates: Float32Array, // (B, T, 3H) activated gates r, z, n of every step, cached for backward
  hn: Float32Array, // (B, T, H) W_hn·h + b_hn of every step, cached for backward (dr needs it)
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, 3H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  input: LayerInput, // (B, T, I) inputs: rows, or token ids into a table (layer-input.ts)
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  const G = 3 * H;
  projectInput(gates, input, params, p, B * T, G, I, kernels);
  kernels.gruForwardSteps(gates, hn, out, hPrev, hh, h, params, p.wHh, p.bHh, B, T, H);
}

export function gruBackward(
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dGatesI: Float32Array, // (B, T, 3H) scratch: gradients of the input-side pre-activations
  dGatesH: Float32Array, // (B, T, 3H) scratch: gradients of the hidden-side pre-activations
  dGatesStep: Float32Array, // (B, 3H) scratch: one step's hidden-side gradients, contiguous
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  gates: Float32Array, // (B, T, 3H) from the forward
  hn: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  input: LayerInput, // the forward's input; its gradient target receives dx (+=)
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  const G = 3 * H;
  kernels.gruBackwardSteps(dGatesI, dGatesH, dGatesStep, dh, gates, hn, hPrev, dout, params, p.wHh, B, T, H);
  recurrentParamsBackward(grads, p, dGatesI, dGatesH, input, hPrev, params, B, T, I, H, G, kernels);
}
