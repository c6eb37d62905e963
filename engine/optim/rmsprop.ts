/**
 * RMSprop, as torch.optim.RMSprop (alpha 0.99, eps 1e-8, not centered), following the algorithm in
 * PyTorch's documentation (https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html):
 *
 *   g ← g + λθ
 *   v ← αv + (1-α)g²
 *   μ > 0:  b ← μb + g / (√v + ε);   θ ← θ - lr·b
 *   μ = 0:  θ ← θ - lr · g / (√v + ε)
 */
import { copyBuffer } from './adam.ts';
import type { Optimizer } from './types.ts';

export class RmsProp implements Optimizer {
  readonly kind = 'rmsprop' as const;
  stepCount = 0;
  private readonly sq: Float32Array; // square_avg
  private readonly buf: Float32Array | null; // momentum_buffer

  constructor(
    size: number,
    private readonly momentum = 0,
    private readonly weightDecay = 0,
    private readonly alpha = 0.99,
    private readonly eps = 1e-8,
  ) {
    this.sq = new Float32Array(size);
    this.buf = momentum > 0 ? new Float32Array(size) : null;
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const { sq, buf, momentum, weightDecay, alpha, eps } = this;
    this.stepCount++;
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const g = weightDecay === 0 ? grads[i] : grads[i] + weightDecay * params[i];
      sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
      const update = g / (Math.sqrt(sq[i]) + eps);
      if (buf !== null) {
        buf[i] = momentum * buf[i] + update;
        params[i] -= lr * buf[i];
      } else {
        params[i] -= lr * update;
      }
    }
  }

  state(): Record<string, Float32Array> {
    return this.buf === null ? { square_avg: this.sq } : { square_avg: this.sq, momentum_buffer: this.buf };
  }

  loadState(stepCount: number, buffers: Record<string, Float32Array>): void {
    copyBuffer(this.sq, buffers, 'square_avg');
    if (this.buf !== null) copyBuffer(this.buf, buffers, 'momentum_buffer');
    this.stepCount = stepCount;
  }
}
