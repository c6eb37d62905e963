/**
 * A recurrent layer's loop over its T steps as one kernel call per layer and pass: forward, each step's
 * h·W_hhᵀ + b_hh and its cell step; backward, each step's cell step and dGates·W_hh. `stepLoops` is
 * the definition, the loop over the per-step kernels (the reference kernels use it). Batch rows never
 * meet in this loop, so the WebAssembly kernels give each thread its own rows for all T steps: one
 * hand-off per layer and pass instead of two per step, with the same numbers (every element goes
 * through the same per-step functions).
 *
 * Layout as in fused.ts: (B, T, X) buffers batch_first and whole (offset 0), step t at t·X, rows T·X
 * apart; hh, dGatesStep, h, c, dh, dc are contiguous (B, X) scratch. W_hh and b_hh are read from
 * `params` at their offsets. A backward assumes the forward started from a zero cell state and needs
 * nothing before step 0 (training's case).
 */
import type { FusedKernels } from './fused.ts';
import type { Kernels } from './types.ts';

export interface StepKernels {
  /** LSTM forward over T steps from the state in h, c (left holding h_T, c_T). */
  lstmForwardSteps(
    gates: Float32Array, // (B, T, 4H) in: x·W_ihᵀ + b_ih; out: activated i, f, g, o
    cells: Float32Array, out: Float32Array, // (B, T, H) receive c_t, h_t
    hPrev: Float32Array | null, // (B, T, H) receives h_{t-1} (null: not kept)
    hh: Float32Array, h: Float32Array, c: Float32Array, // (B, 4H) scratch, (B, H) state
    params: Float32Array, wHh: number, bHh: number,
    B: number, T: number, H: number,
  ): void;

  /** LSTM backward over T steps: dGates (=) every step's pre-activation gradients. */
  lstmBackwardSteps(
    dGates: Float32Array, // (B, T, 4H) out
    dGatesStep: Float32Array, dh: Float32Array, dc: Float32Array, // (B, 4H), (B, H), (B, H) scratch
    gates: Float32Array, cells: Float32Array, dout: Float32Array, // the forward's (B, T, ·), and dLoss/dh_t
    params: Float32Array, wHh: number,
    B: number, T: number, H: number,
  ): void;

  /** GRU forward over T steps from the state in h. */
  gruForwardSteps(
    gates: Float32Array, // (B, T, 3H) in: x·W_ihᵀ + b_ih; out: r, z, n
    hn: Float32Array, out: Float32Array, // (B, T, H) receive W_hn·h + b_hn, h_t
    hPrev: Float32Array | null, // (B, T, H) receives h_{t-1} (null: not kept)
    hh: Float32Array, h: Float32Array, // (B, 3H) scratch, (B, H) state
    params: Float32Array, wHh: number, bHh: number,
    B: number, T: number, H: number,
  ): void;

  /** GRU backward over T steps: input-side and hidden-side pre-activation gradients (=). */
  gruBackwardSteps(
    dGatesI: Float32Array, dGatesH: Float32Array, // (B, T, 3H) out
    dGatesStep: Float32Array, dh: Float32Array, // (B, 3H), (B, H) scratch
    gates: Float32Array, hn: Float32Array, hPrev: Float32Array, dout: Float32Array,
    params: Float32Array, wHh: number,
    B: number, T: number, H: number,
  ): void;

  /** RNN forward over T steps from the state in h: out holds x·W_ihᵀ + b_ih on entry, h_t on return. */
  rnnForwardSteps(
    out: Float32Array, hPrev: Float32Array | null, // (B, T, H)
    hh: Float32Array, h: Float32Array, // (B, H) scratch, state
    params: Float32Array, wHh: number, bHh: number,
    B: number, T: number, H: number,
  ): void;

  /** RNN backward over T steps: dPre (=) every step's pre-activation gradients. */
  rnnBackwardSteps(
    dPre: Float32Array, // (B, T, H) out
    dPreStep: Float32Array, dh: Float32Array, // (B, H) scratch
    out: Float32Array, dout: Float32Array, // the forward's outputs, dLoss/dh_t
    params: Float32Array, wHh: number,
    B: number, T: number, H: number,
  ): void;
}

export const STEP_OPS = [
  'lstmForwardSteps', 'lstmBackwardSteps', 'gruForwardSteps', 'gruBackwardSteps', 'rnnForwardSteps', 'rnnBackwardSteps',
] as const satisfies readonly (keyof StepKernels)[];

/** The step loops over kernels `k`'s per-step products and cell steps: what every StepKernels computes. */
export function stepLoops(k: Kernels & Omit<FusedKernels, keyof StepKernels>): StepKernels {
  return {
    lstmForwardSteps(gates, cells, out, hPrev, hh, h, c, params, wHh, bHh, B, T, H) {
      const G = 4 * H;
      for (let t = 0; t < T; t++) {
        k.matmulABt(hh, 0, h, 0, params, wHh, params, bHh, B, G, H, false);
        k.lstmCellForward(gates, t * G, T * G, hh, 0, c, 0, h, 0, cells, t * H, out, t * H, hPrev, t * H, T * H, B, H);
      }
    },
    lstmBackwardSteps(dGates, dGatesStep, dh, dc, gates, cells, dout, params, wHh, B, T, H) {
      const G = 4 * H;
      dh.fill(0, 0, B * H);
      dc.fill(0, 0, B * H);
      for (let t = T - 1; t >= 0; t--) {
        k.lstmCellBackward(dGates, t * G, T * G, dGatesStep, 0, dh, 0, dc, 0, gates, t * G, cells, t * H,
          t > 0 ? cells : null, (t - 1) * H, dout, t * H, T * H, B, H);
        // dh_{t-1} = dGates_t · W_hh (not needed before the first step: the initial state is a constant)
        if (t > 0) k.matmulAB(dh, 0, dGatesStep, 0, params, wHh, B, G, H, false, t < T - 1);
      }
    },
    gruForwardSteps(gates, hn, out, hPrev, hh, h, params, wHh, bHh, B, T, H) {
      const G = 3 * H;
      for (let t = 0; t < T; t++) {
        k.matmulABt(hh, 0, h, 0, params, wHh, params, bHh, B, G, H, false);
        k.gruCellForward(gates, t * G, T * G, hh, 0, h, 0, hn, t * H, out, t * H, hPrev, t * H, T * H, B, H);
      }
    },
    gruBackwardSteps(dGatesI, dGatesH, dGatesStep, dh, gates, hn, hPrev, dout, params, wHh, B, T, H) {
      const G = 3 * H;
      dh.fill(0, 0, B * H);
      for (let t = T - 1; t >= 0; t--) {
        // leaves the direct path h → h' in dh; the gated paths are added by the product below
        k.gruCellBackward(dGatesI, t * G, dGatesH, t * G, T * G, dGatesStep, 0, dh, 0, gates, t * G, hn, t * H,
          hPrev, t * H, dout, t * H, T * H, B, H);
        if (t > 0) k.matmulAB(dh, 0, dGatesStep, 0, params, wHh, B, G, H, true, t < T - 1);
      }
    },
    rnnForwardSteps(out, hPrev, hh, h, params, wHh, bHh, B, T, H) {
      for (let t = 0; t < T; t++) {
        k.matmulABt(hh, 0, h, 0, params, wHh, params, bHh, B, H, H, false);
        k.rnnCellForward(out, t * H, hh, 0, h, 0, hPrev, t * H, T * H, B, H);
      }
    },
    rnnBackwardSteps(dPre, dPreStep, dh, out, dout, params, wHh, B, T, H) {
      dh.fill(0, 0, B * H);
      for (let t = T - 1; t >= 0; t--) {
        k.rnnCellBackward(dPre, t * H, dPreStep, 0, dh, 0, out, t * H, dout, t * H, T * H, B, H);
        if (t > 0) k.matmulAB(dh, 0, dPreStep, 0, params, wHh, B, H, H, false, t < T - 1);
      }
    },
  };
}
