/**
 * GRU layer, PyTorch's nn.GRU formulas and weight layout (row blocks r, z, n), batch_first.
 * One layer, one direction; note b_hn sits inside the reset product, as in PyTorch (not the
 * original paper's variant).
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 - z) ⊙ n + z ⊙ h
 *
 * Speed: as in lstm.ts, only h·W_hhᵀ and dGates·W_hh run per step. The input side and the hidden side
 * have different gate gradients (r scales the hidden n-part), hence two gradient buffers. A fused step
 * offered by the kernels (engine/kernels/fused.ts, same formulas) replaces each step's element-wise loop.
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import { sigmoid, type RecurrentOffsets } from './recurrent.ts';

export function gruForward(
  out: Float32Array, // (B, T, H) hidden state after every step: the layer's output
  gates: Float32Array, // (B, T, 3H) activated gates r, z, n of every step, cached for backward
  hn: Float32Array, // (B, T, H) W_hn·h + b_hn of every step, cached for backward (dr needs it)
  hPrev: Float32Array | null, // (B, T, H) hidden state entering every step, cached for backward (null: not kept)
  hh: Float32Array, // (B, 3H) scratch: one step's h·W_hhᵀ + b_hh
  h: Float32Array, // (B, H) in: initial hidden state; out: final hidden state (h_n)
  x: Float32Array, // (B, T, I) inputs
  params: Float32Array, p: RecurrentOffsets,
  B: number, T: number, I: number, H: number,
  kernels: Kernels,
): void {
  const G = 3 * H;
  const fused = kernels as Kernels & FusedKernels;
  kernels.matmulABt(gates, 0, x, 0, params, p.wIh, params, p.bIh, B * T, G, I, false);
  for (let t = 0; t < T; t++) {
    kernels.matmulABt(hh, 0, h, 0, params, p.wHh, params, p.bHh, B, G, H, false);
    if (fused.gruCellForward) {
      fused.gruCellForward(gates, t * G, T * G, hh, 0, h, 0, hn, t * H, out, t * H, hPrev, t * H, T * H, B, H);
      continue;
    }
    for (let b = 0; b < B; b++) {
      const row = b * T + t;
      const gr = row * G;
      const hr = row * H;
      const sr = b * H;
      const hhr = b * G;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gates[gr + j] + hh[hhr + j]);
        const z = sigmoid(gates[gr + H + j] + hh[hhr + H + j]);
        const hnv = hh[hhr + 2 * H + j];
        const n = Math.tanh(gates[gr + 2 * H + j] + r * hnv);
        gates[gr + j] = r;
        gates[gr + H + j] = z;
        gates[gr + 2 * H + j] = n;
        hn[hr + j] = hnv;
        const hp = h[sr + j];
        if (hPrev !== null) hPrev[hr + j] = hp;
        h[sr + j] = (1 - z) * n + z * hp;
        out[hr + j] = h[sr + j];
      }
    }
  }
}

export function gruBackward(
  dx: Float32Array, // (B, T, I) += input gradient
  grads: Float32Array, p: RecurrentOffsets, // += gradients of W_ih, W_hh, b_ih, b_hh
  dGatesI: Float32Array, // (B, T, 3H) scratch: gradients of the input-side pre-activations
  dGatesH: Float32Array, // (B, T, 3H) scratch: gradients of the hidden-side pre-activations
  dGatesStep: Float32Array, // (B, 3H) scratch: one step's hidden-side gradients, contiguous
  dh: Float32Array, // (B, H) scratch: gradient reaching h from the following step
  dout: Float32Array, // (B, T, H) gradient of the loss wrt the outputs
  gates: Float32Array, // (B, T, 3H) from the forward
  hn: Float32Array, // (B, T, H) from the forward
  hPrev: Float32Array, // (B, T, H) from the forward
  x: Float32Array, // (B, T, I) inputs of the forward
  params: Float32Array,
  B: number, T: number, I: number, H: number,
  kernels: Kernels,
): void {
  const G = 3 * H;
  const fused = kernels as Kernels & FusedKernels;
  dh.fill(0, 0, B * H);
  for (let t = T - 1; t >= 0; t--) {
    if (fused.gruCellBackward) {
      fused.gruCellBackward(dGatesI, t * G, dGatesH, t * G, T * G, dGatesStep, 0, dh, 0, gates, t * G, hn, t * H,
        hPrev, t * H, dout, t * H, T * H, B, H);
    } else {
      for (let b = 0; b < B; b++) {
        const row = b * T + t;
        const gr = row * G;
        const hr = row * H;
        const sr = b * H;
        const gs = b * G;
        for (let j = 0; j < H; j++) {
          const r = gates[gr + j];
          const z = gates[gr + H + j];
          const n = gates[gr + 2 * H + j];
          const dhT = dout[hr + j] + dh[sr + j];
          const dnPre = dhT * (1 - z) * (1 - n * n);
          const dzPre = dhT * (hPrev[hr + j] - n) * z * (1 - z);
          const drPre = dnPre * hn[hr + j] * r * (1 - r);
          dGatesI[gr + j] = drPre;
          dGatesI[gr + H + j] = dzPre;
          dGatesI[gr + 2 * H + j] = dnPre;
          dGatesH[gr + j] = drPre;
          dGatesH[gr + H + j] = dzPre;
          dGatesH[gr + 2 * H + j] = dnPre * r;
          dGatesStep[gs + j] = drPre;
          dGatesStep[gs + H + j] = dzPre;
          dGatesStep[gs + 2 * H + j] = dnPre * r;
          dh[sr + j] = dhT * z; // the direct path h → h'; the gated paths are added below
        }
      }
    }
    if (t > 0) kernels.matmulAB(dh, 0, dGatesStep, 0, params, p.wHh, B, G, H, true);
  }
  const M = B * T;
  kernels.matmulAtB(grads, p.wIh, dGatesI, 0, x, 0, M, G, I, true);
  kernels.matmulAtB(grads, p.wHh, dGatesH, 0, hPrev, 0, M, G, H, true);
  kernels.sumRows(grads, p.bIh, dGatesI, 0, M, G);
  kernels.sumRows(grads, p.bHh, dGatesH, 0, M, G);
  kernels.matmulAB(dx, 0, dGatesI, 0, params, p.wIh, M, G, I, true);
}
