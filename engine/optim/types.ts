/** The interface every optimizer implements (see docs/engine-api.md). */
import type { OptimizerKind } from '../config.ts';

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Steps taken so far (Adam's t; SGD's "first step" test). */
  stepCount: number;
  /** One update of the flat parameters from the flat gradients. */
  step(params: Float32Array, grads: Float32Array, lr: number): void;
  /** Moment buffers by PyTorch state name ('exp_avg', 'exp_avg_sq', 'momentum_buffer', 'square_avg'), flat layout. */
  state(): Record<string, Float32Array>;
  loadState(stepCount: number, buffers: Record<string, Float32Array>): void;
}
