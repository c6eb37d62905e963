/**
 * The optimizers behind one factory, plus clipping and schedules. Every optimizer is one loop over the
 * flat parameter and gradient arrays (engine/core/params.ts gives them one layout).
 */
import type { Hyperparameters } from '../config.ts';
import type { Kernels } from '../kernels/types.ts';
import { Adam } from './adam.ts';
import { RmsProp } from './rmsprop.ts';
import { Sgd } from './sgd.ts';
import type { Optimizer } from './types.ts';

export type { Optimizer } from './types.ts';
export { Adam } from './adam.ts';
export { Sgd } from './sgd.ts';
export { RmsProp } from './rmsprop.ts';
export { clipGradNorm } from './clip.ts';
export { learningRateAt } from './schedule.ts';

/**
 * `size`: parameter count. Adam uses PyTorch's defaults (β 0.9/0.999, ε 1e-8); momentum applies to SGD and RMSprop.
 * `kernels`: the model's; Adam then runs through their fused step when they have one.
 */
export function createOptimizer(h: Pick<Hyperparameters, 'optimizer' | 'momentum' | 'weightDecay'>, size: number, kernels?: Kernels): Optimizer {
  switch (h.optimizer) {
    case 'adam':
      return new Adam(size, h.weightDecay, 0.9, 0.999, 1e-8, kernels);
    case 'sgd':
      return new Sgd(size, h.momentum, h.weightDecay);
    case 'rmsprop':
      return new RmsProp(size, h.momentum, h.weightDecay);
    default:
      throw new Error(`Unknown optimizer "${String(h.optimizer)}" (known: adam, sgd, rmsprop).`);
  }
}
