/**
 * Global gradient-norm clipping, PyTorch's clip_grad_norm_ semantics (L2 norm over every parameter
 * as one vector): when the norm exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
 *
 *   n = √Σ g²     c = maxNorm / (n + 1e-6)     g ← g·c  when c < 1
 */

/** Returns the norm before clipping; maxNorm 0 = measure only. */
export function clipGradNorm(grads: Float32Array, maxNorm: number): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  const norm = Math.sqrt(sum);
  if (maxNorm > 0) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] *= coef;
  }
  return norm;
}
