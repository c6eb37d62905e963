/**
 * The reference kernels: plain TypeScript loops over row-major Float32Arrays (path 'typescript').
 * Every faster implementation is checked against these. Not tuned beyond contiguous innermost loops
 * and four terms per pass (each output element loaded and stored a quarter as often); no threads, no SIMD.
 *
 *   matmulABt: out(M,N) = a(M,K) · w(N,K)ᵀ (+ bias)   — dot products, summed in a JS number (float64)
 *   matmulAB:  out(M,K) = a(M,N) · w(N,K)             — row updates out[i,:] += a[i,n]·w[n,:]
 *   matmulAtB: out(N,K) = a(M,N)ᵀ · b(M,K)            — row updates out[n,:] += a[m,n]·b[m,:]
 *   sumRows:   out(N)  += Σ_m a(m,:)
 *   gatherRows: out(N,C) = table[ids[n], :]      scatterAddRows: out[ids[n], :] += a(n,:)
 *
 * The loops only index their arguments, so the same code runs unchanged on Float64Arrays (the float64
 * gradient check relies on that). The fused element-wise operations are `fusedReference` (fused.ts),
 * the one TypeScript definition of each cell step and of cross-entropy.
 */
import { fusedReference, type FusedKernels } from './fused.ts';
import { stepLoops } from './steps.ts';
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
    let j = 0;
    // four outputs per pass over the row of a: each a[k] is loaded once for four dot products
    for (; j + 4 <= N; j += 4) {
      const w0 = wOff + j * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = a[ai + k];
        s0 += x * w[w0 + k];
        s1 += x * w[w1 + k];
        s2 += x * w[w2 + k];
        s3 += x * w[w3 + k];
      }
      if (bias !== null) {
        s0 += bias[biasOff + j];
        s1 += bias[biasOff + j + 1];
        s2 += bias[biasOff + j + 2];
        s3 += bias[biasOff + j + 3];
      }
      if (accumulate) {
        out[oi + j] += s0;
        out[oi + j + 1] += s1;
        out[oi + j + 2] += s2;
        out[oi + j + 3] += s3;
      } else {
        out[oi + j] = s0;
        out[oi + j + 1] = s1;
        out[oi + j + 2] = s2;
        out[oi + j + 3] = s3;
      }
    }
    for (; j < N; j++) {
      const wj = wOff + j * K;
      let sum = bias === null ? 0 : bias[biasOff + j];
      for (let k = 0; k < K; k++) sum += a[ai + k] * w[wj + k];
      out[oi + j] = accumulate ? out[oi + j] + sum : sum;
    }
  }
}

/** out[o..o+K) += s0·x[x0..] + s1·x[x1..] + s2·x[x2..] + s3·x[x3..]: four row updates, one store each. */
function axpy4(out: Float32Array, o: number, x: Float32Array, x0: number, x1: number, x2: number, x3: number, s0: number, s1: number, s2: number, s3: number, K: number): void {
  for (let k = 0; k < K; k++) out[o + k] += s0 * x[x0 + k] + s1 * x[x1 + k] + s2 * x[x2 + k] + s3 * x[x3 + k];
}

function axpy1(out: Float32Array, o: number, x: Float32Array, x0: number, s: number, K: number): void {
  for (let k = 0; k < K; k++) out[o + k] += s * x[x0 + k];
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
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const wn = wOff + n * K;
      axpy4(out, oi, w, wn, wn + K, wn + 2 * K, wn + 3 * K, a[ai + n], a[ai + n + 1], a[ai + n + 2], a[ai + n + 3], K);
    }
    for (; n < N; n++) axpy1(out, oi, w, wOff + n * K, a[ai + n], K);
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
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const am = aOff + m * N;
    const bm = bOff + m * K;
    for (let n = 0; n < N; n++) {
      axpy4(out, outOff + n * K, b, bm, bm + K, bm + 2 * K, bm + 3 * K, a[am + n], a[am + N + n], a[am + 2 * N + n], a[am + 3 * N + n], K);
    }
  }
  for (; m < M; m++) {
    for (let n = 0; n < N; n++) axpy1(out, outOff + n * K, b, bOff + m * K, a[aOff + m * N + n], K);
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

function gatherRows(
  out: Float32Array, outOff: number, // (N, C)
  table: Float32Array, tableOff: number, // (rows, C)
  ids: Int32Array, idsOff: number, // (N)
  N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const src = tableOff + ids[idsOff + n] * C;
    const dst = outOff + n * C;
    for (let c = 0; c < C; c++) out[dst + c] = table[src + c];
  }
}

function scatterAddRows(
  out: Float32Array, outOff: number, // (rows, C)
  a: Float32Array, aOff: number, // (N, C)
  ids: Int32Array, idsOff: number, // (N)
  N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const dst = outOff + ids[idsOff + n] * C;
    const src = aOff + n * C;
    for (let c = 0; c < C; c++) out[dst + c] += a[src + c];
  }
}

function zero(a: Float32Array, off: number, n: number): void {
  a.fill(0, off, off + n);
}

function sumSquares(a: Float32Array, off: number, n: number): number {
  let sum = 0;
  for (let i = off; i < off + n; i++) sum += a[i] * a[i];
  return sum;
}

const perStep = {
  path: 'typescript',
  alloc: (length: number) => new Float32Array(length),
  matmulABt,
  matmulAB,
  matmulAtB,
  sumRows,
  gatherRows,
  scatterAddRows,
  zero,
  sumSquares,
  ...fusedReference,
} as const;

export const referenceKernels: Kernels & Required<FusedKernels> = { ...perStep, ...stepLoops(perStep) };
