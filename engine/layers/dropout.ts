/**
 * Inverted dropout (PyTorch's nn.Dropout in training mode): each element is zeroed with probability p
 * and the survivors are scaled by 1/(1-p), so evaluation needs no rescaling and simply skips this layer.
 * The mask is drawn from the given Rng and kept for the backward.
 *
 *   mask = (u >= p) / (1 - p),  u ~ U[0,1)      y = x · mask      dx += dy · mask
 */
import type { Rng } from '../core/rng.ts';

export function dropoutForward(
  out: Float32Array, // (n) dropped outputs
  mask: Float32Array, // (n) 0 or 1/(1-p), cached for backward
  x: Float32Array, // (n) inputs
  p: number,
  rng: Rng,
  n: number,
): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const m = rng.uniform() < p ? 0 : keep;
    mask[i] = m;
    out[i] = x[i] * m;
  }
}

export function dropoutBackward(
  dx: Float32Array, // (n) += input gradient
  dout: Float32Array, // (n) gradient of the loss wrt the outputs
  mask: Float32Array, // (n) from the forward
  n: number,
): void {
  for (let i = 0; i < n; i++) dx[i] += dout[i] * mask[i];
}
