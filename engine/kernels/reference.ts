/**
 * The reference kernels: plain TypeScript loops over row-major Float32Arrays (path 'typescript').
 * Every faster implementation is checked against these. Not tuned beyond keeping the innermost loop
 * contiguous in memory; no threads, no SIMD.
 *
 *   matmulABt: out(M,N) = a(M,K) · w(N,K)ᵀ (+ bias)   — dot products, summed in a JS number (float64)
 *   matmulAB:  out(M,K) = a(M,N) · w(N,K)             — row updates out[i,:] += a[i,n]·w[n,:]
 *   matmulAtB: out(N,K) = a(M,N)ᵀ · b(M,K)            — row updates out[n,:] += a[m,n]·b[m,:]
 *   sumRows:   out(N)  += Σ_m a(m,:)
 *
 * The loops only index their arguments, so the same code runs unchanged on Float64Arrays (the float64
 * gradient check relies on that).
 */
import type { Kernels } from './types.ts';

function matmulABt(
  out: Float32Array, outOff: number, // (M, N)
  a: Float32Array, aOff: number, // (M, K)
  w: Float32Array, wOff: number, // (N, K)
  bias: Float32Array | null, biasOff: number, // (N) or null
  M: number, N: number, K: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * K;
    const oi = outOff + i * N;
    for (let j = 0; j < N; j++) {
      const wj = wOff + j * K;
      let sum = bias === null ? 0 : bias[biasOff + j];
      for (let k = 0; k < K; k++) sum += a[ai + k] * w[wj + k];
      out[oi + j] = accumulate ? out[oi + j] + sum : sum;
    }
  }
}

function matmulAB(
  out: Float32Array, outOff: number, // (M, K)
  a: Float32Array, aOff: number, // (M, N)
  w: Float32Array, wOff: number, // (N, K)
  M: number, N: number, K: number,
  accumulate: boolean,
): void {
  if (!accumulate) out.fill(0, outOff, outOff + M * K);
  for (let i = 0; i < M; i++) {
    const oi = outOff + i * K;
    const ai = aOff + i * N;
    for (let n = 0; n < N; n++) {
      const s = a[ai + n];
      if (s === 0) continue; // sparse rows are common (one-step heads, dropped units)
      const wn = wOff + n * K;
      for (let k = 0; k < K; k++) out[oi + k] += s * w[wn + k];
    }
  }
}

function matmulAtB(
  out: Float32Array, outOff: number, // (N, K)
  a: Float32Array, aOff: number, // (M, N)
  b: Float32Array, bOff: number, // (M, K)
  M: number, N: number, K: number,
  accumulate: boolean,
): void {
  if (!accumulate) out.fill(0, outOff, outOff + N * K);
  for (let m = 0; m < M; m++) {
    const am = aOff + m * N;
    const bm = bOff + m * K;
    for (let n = 0; n < N; n++) {
      const s = a[am + n];
      if (s === 0) continue;
      const on = outOff + n * K;
      for (let k = 0; k < K; k++) out[on + k] += s * b[bm + k];
    }
  }
}

function sumRows(
  out: Float32Array, outOff: number, // (N)
  a: Float32Array, aOff: number, // (M, N)
  M: number, N: number,
): void {
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let m = 0; m < M; m++) sum += a[aOff + m * N + n];
    out[outOff + n] += sum;
  }
}

export const referenceKernels: Kernels = {
  path: 'typescript',
  alloc: (length: number) => new Float32Array(length),
  matmulABt,
  matmulAB,
  matmulAtB,
  sumRows,
};
