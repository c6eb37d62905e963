/**
 * Adam, as torch.optim.Adam (amsgrad off, L2 weight decay added to the gradient), following the
 * algorithm in PyTorch's documentation (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html)
 * and the order of operations of its single-tensor implementation:
 *
 *   g ← g + λθ
 *   m ← β₁m + (1-β₁)g                 v ← β₂v + (1-β₂)g²
 *   θ ← θ - (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε)
 *
 * One loop over the flat parameter array; moments are kept in float32 like PyTorch's state. Given
 * kernels with a fused `adamStep` (the WebAssembly ones), the moments live in the kernels' memory and
 * that loop runs there, in float32 (the plain loop rounds each update from float64).
 */
import type { FusedKernels } from '../kernels/fused.ts';
import type { Kernels } from '../kernels/types.ts';
import type { Optimizer } from './types.ts';

export class Adam implements Optimizer {
  readonly kind = 'adam' as const;
  stepCount = 0;
  private readonly m: Float32Array; // exp_avg
  private readonly v: Float32Array; // exp_avg_sq
  private readonly fused: Required<Pick<FusedKernels, 'adamStep'>> | null;

  constructor(
    size: number,
    private readonly weightDecay = 0,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
    kernels?: Kernels,
  ) {
    // the TypeScript path keeps its own loop (fusedReference rounds differently)
    const k = kernels as (Kernels & FusedKernels) | undefined;
    this.fused = k && k.path !== 'typescript' && k.adamStep ? (k as Required<Pick<FusedKernels, 'adamStep'>>) : null;
    this.m = this.fused ? kernels!.alloc(size) : new Float32Array(size);
    this.v = this.fused ? kernels!.alloc(size) : new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const { m, v, beta1, beta2, eps, weightDecay } = this;
    this.stepCount++;
    const t = this.stepCount;
    if (this.fused) {
      this.fused.adamStep(params, grads, m, v, 0, params.length, lr, beta1, beta2, eps, weightDecay, t);
      return;
    }
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const g = weightDecay === 0 ? grads[i] : grads[i] + weightDecay * params[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
    }
  }

  state(): Record<string, Float32Array> {
    return { exp_avg: this.m, exp_avg_sq: this.v };
  }

  loadState(stepCount: number, buffers: Record<string, Float32Array>): void {
    copyBuffer(this.m, buffers, 'exp_avg');
    copyBuffer(this.v, buffers, 'exp_avg_sq');
    this.stepCount = stepCount;
  }
}

/** Copies a named moment buffer into place; a missing or mis-sized buffer is a readable error. */
export function copyBuffer(dst: Float32Array, buffers: Record<string, Float32Array>, name: string): void {
  const src = buffers[name];
  if (!src) throw new Error(`The optimizer state has no "${name}" buffer.`);
  if (src.length !== dst.length) {
    throw new Error(`The optimizer state's "${name}" holds ${src.length} values; this model has ${dst.length} parameters.`);
  }
  dst.set(src);
}
