/**
 * SGD with optional momentum, as torch.optim.SGD (dampening 0, no Nesterov), following the algorithm
 * in PyTorch's documentation (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html):
 *
 *   g ← g + λθ
 *   b ← g                 on the first step (PyTorch starts the buffer at the gradient, not at 0)
 *   b ← μb + g            afterwards
 *   θ ← θ - lr · (μ > 0 ? b : g)
 */
import { copyBuffer } from './adam.ts';
import type { Optimizer } from './types.ts';

export class Sgd implements Optimizer {
  readonly kind = 'sgd' as const;
  stepCount = 0;
  private readonly buf: Float32Array | null; // momentum_buffer

  constructor(
    size: number,
    private readonly momentum = 0,
    private readonly weightDecay = 0,
  ) {
    this.buf = momentum > 0 ? new Float32Array(size) : null;
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const { buf, momentum, weightDecay } = this;
    const first = this.stepCount === 0;
    this.stepCount++;
    const n = params.length;
    for (let i = 0; i < n; i++) {
      let g = weightDecay === 0 ? grads[i] : grads[i] + weightDecay * params[i];
      if (buf !== null) {
        buf[i] = first ? g : momentum * buf[i] + g;
        g = buf[i];
      }
      params[i] -= lr * g;
    }
  }

  state(): Record<string, Float32Array> {
    return this.buf === null ? {} : { momentum_buffer: this.buf };
  }

  loadState(stepCount: number, buffers: Record<string, Float32Array>): void {
    if (this.buf !== null && stepCount > 0) copyBuffer(this.buf, buffers, 'momentum_buffer');
    this.stepCount = stepCount;
  }
}
