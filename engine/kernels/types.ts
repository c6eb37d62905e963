/**
 * The hot-path operations the layers call, so a WebAssembly implementation can replace the plain
 * TypeScript reference without touching the layers. Every array argument is a Float32Array plus an
 * element offset into it (no subarray views are created in the step loop). All matrices are row-major.
 *
 * Determinism: an implementation may split work over output elements only, never over a reduction,
 * so results are bit-identical whatever the thread count.
 */

export type KernelPath = 'typescript' | 'wasm-simd' | 'wasm-relaxed-simd';

export interface Kernels {
  readonly path: KernelPath;

  /** A zero-filled buffer that stays valid for the kernels' lifetime (WebAssembly kernels carve it from their memory). */
  alloc(length: number): Float32Array;

  /**
   * out(M,N) (=|+=) a(M,K) · w(N,K)ᵀ (+ bias(N) broadcast over rows, when bias is not null).
   * The forward of a linear layer: y = x Wᵀ + b.
   */
  matmulABt(
    out: Float32Array, outOff: number,
    a: Float32Array, aOff: number,
    w: Float32Array, wOff: number,
    bias: Float32Array | null, biasOff: number,
    M: number, N: number, K: number,
    accumulate: boolean,
  ): void;

  /**
   * out(M,K) (=|+=) a(M,N) · w(N,K).
   * The input gradient of a linear layer: dX = dY W.
   * sameW: w is the same matrix, unchanged, as in the previous matmulAB call (a recurrent backward's
   * steps), so an implementation may reuse what it prepared from it then. Never changes the result.
   */
  matmulAB(
    out: Float32Array, outOff: number,
    a: Float32Array, aOff: number,
    w: Float32Array, wOff: number,
    M: number, N: number, K: number,
    accumulate: boolean,
    sameW?: boolean,
  ): void;

  /**
   * out(N,K) (=|+=) a(M,N)ᵀ · b(M,K).
   * The weight gradient of a linear layer: dW += dYᵀ X (M = rows summed over, e.g. B·T).
   */
  matmulAtB(
    out: Float32Array, outOff: number,
    a: Float32Array, aOff: number,
    b: Float32Array, bOff: number,
    M: number, N: number, K: number,
    accumulate: boolean,
  ): void;

  /** out(N) += column sums of a(M,N): the bias gradient. */
  sumRows(out: Float32Array, outOff: number, a: Float32Array, aOff: number, M: number, N: number): void;

  /**
   * out(N,C) = table[ids[n], :] for n in [0,N): a lookup of whole rows. Ids must lie in [0, rows of table).
   * The forward of an input that is a lookup table (engine/layers/token-input.ts).
   */
  gatherRows(out: Float32Array, outOff: number, table: Float32Array, tableOff: number, ids: Int32Array, idsOff: number, N: number, C: number): void;

  /**
   * out[ids[n], :] += a(n, :) for n in [0,N), in order of n: gatherRows's backward. Ids must lie in
   * [0, rows of out).
   */
  scatterAddRows(out: Float32Array, outOff: number, a: Float32Array, aOff: number, ids: Int32Array, idsOff: number, N: number, C: number): void;

  /** a[off, off + n) = 0. (A fill of an array in shared WebAssembly memory is several times slower than the module's.) */
  zero(a: Float32Array, off: number, n: number): void;

  /** Σ a[off + i]² over n values, summed in float64: the squared gradient norm. */
  sumSquares(a: Float32Array, off: number, n: number): number;
}
