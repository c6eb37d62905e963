/**
 * Linear layer (PyTorch's nn.Linear): y = x Wᵀ + b over M rows. The matrix products are the kernels'
 * job; this file only says which product is which.
 *
 *   forward:  y(M,N) = x(M,K) · W(N,K)ᵀ + b(N)
 *   backward: dW += dyᵀ · x,   db += Σ_rows dy,   dx += dy · W
 */
import type { Kernels } from '../kernels/types.ts';

export function linearForward(
  out: Float32Array, // (M, N) outputs
  x: Float32Array, // (M, K) inputs
  params: Float32Array, wOff: number, bOff: number, // weight (N, K) and bias (N) inside the flat parameters
  M: number, N: number, K: number,
  kernels: Kernels,
): void {
  kernels.matmulABt(out, 0, x, 0, params, wOff, params, bOff, M, N, K, false);
}

export function linearBackward(
  dx: Float32Array | null, // (M, K) += input gradient; null when nobody needs it
  grads: Float32Array, dwOff: number, dbOff: number, // += weight (N, K) and bias (N) gradients
  dout: Float32Array, // (M, N) gradient of the loss wrt the outputs
  x: Float32Array, // (M, K) inputs, from the forward
  params: Float32Array, wOff: number, // weight (N, K)
  M: number, N: number, K: number,
  kernels: Kernels,
): void {
  kernels.matmulAtB(grads, dwOff, dout, 0, x, 0, M, N, K, true);
  kernels.sumRows(grads, dbOff, dout, 0, M, N);
  if (dx !== null) kernels.matmulAB(dx, 0, dout, 0, params, wOff, M, N, K, true);
}
