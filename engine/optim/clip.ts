/**
 * Global gradient-norm clipping, PyTorch's clip_grad_norm_ semantics (L2 norm over every parameter
 * as one vector): when the norm exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
 *
 *   n = √Σ g²     c = maxNorm / (n + 1e-6)     g ← g·c  when c < 1
 */

import { referenceKernels } from '../kernels/reference.ts';
import type { Kernels } from '../kernels/types.ts';

/** Returns the norm before clipping; maxNorm 0 = measure only. `kernels` sum the squares (the model's, every step). */
export function clipGradNorm(grads: Float32Array, maxNorm: number, kernels: Pick<Kernels, 'sumSquares'> = referenceKernels): number {
  const norm = Math.sqrt(kernels.sumSquares(grads, 0, grads.length));
  if (maxNorm > 0) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] *= coef;
  }
  return norm;
}
