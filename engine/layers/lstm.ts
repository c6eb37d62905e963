/**
 * LSTM layer, PyTorch's nn.LSTM formulas and weight layout (row blocks i, f, g, o), batch_first.
 * One layer, one direction, no projection; dropout between layers lives in the model.
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
 *
 * Speed: x·W_ihᵀ + b_ih for all B·T rows is one product (over the V rows of the embedding when the
 * layer reads token ids: layer-input.ts), and so are the backward's dW_ih, dW_hh, dx (recurrent.ts);
 * only h·W_hhᵀ (forward) and dGates·W_hh (backward) run per step, in the kernels' lstmForwardSteps /
 * lstmBackwardSteps (engine/kernels/steps.ts), each step's element-wise part in lstmCellForward /
 * lstmCellBackward (engine/kernels/fused.ts).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { projectInput, type LayerInput } from './layer-input.ts';
import { recurrentParamsBackward, type RecurrentOffsets } from './recurrent.ts';

export function lstmForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output
  gates: Float32Array, // (B, T, 4H) activated gates i, f, g, o of every step, cached for backward
  cells: Float32Array, // (B, T, H) cell state after every step, cached for backward
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, 4H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  c: Float32Array, // (B, H) in: initial cell state; out: final cell state (c_n)
  input: LayerInput, // (B, T, I) inputs: rows, or token ids into a table (layer-input.ts)
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  const G = 4 * H;
  // gates ← x·W_ihᵀ + b_ih for every step at once; each step then adds its recurrent part in place
  projectInput(gates, input, params, p, B * T, G, I, kernels);
  kernels.lstmForwardSteps(gates, cells, out, hPrev, hh, h, c, params, p.wHh, p.bHh, B, T, H);
}

/** Backward through all T steps; assumes the forward started from a zero cell state (as training does). */
export function lstmBackward(
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dGates: Float32Array, // (B, T, 4H) scratch: pre-activation gate gradients of every step
  dGatesStep: Float32Array, // (B, 4H) scratch: one step's, contiguous for the recurrent product
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dc: Float32Array, // (B, H) scratch: gradient reaching c from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  gates: Float32Array, // (B, T, 4H) from the forward
  cells: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  input: LayerInput, // the forward's input; its gradient target receives dx (+=)
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels & FusedKernels,
): void {
  const G = 4 * H;
  kernels.lstmBackwardSteps(dGates, dGatesStep, dh, dc, gates, cells, dout, params, p.wHh, B, T, H);
  recurrentParamsBackward(grads, p, dGates, dGates, input, hPrev, params, B, T, I, H, G, kernels);
}
