/**
 * PyTorch's default initialisation, drawn from our seeded Rng: the same distributions as PyTorch,
 * not the same numbers (one seed → one run, reproducibly, but not torch.manual_seed's stream).
 *
 *   embedding.weight            ~ N(0, 1)                          (nn.Embedding.reset_parameters)
 *   <cell>.weight_*, <cell>.bias_* ~ U(-1/√H, 1/√H)                (nn.RNNBase.reset_parameters)
 *   linear.weight, linear.bias  ~ U(-1/√in, 1/√in)                 (kaiming_uniform(a=√5) reduces to this)
 *
 * Tensors are filled in layout order, elements in row-major order.
 */
import type { ModelConfig } from '../config.ts';
import type { ParamLayout } from './params.ts';
import type { Rng } from './rng.ts';

export function initParams(params: Float32Array, layout: ParamLayout, config: ModelConfig, rng: Rng): void {
  const recurrentBound = 1 / Math.sqrt(config.hidden);
  const linearBound = 1 / Math.sqrt(config.hidden); // the head's input is the last layer's h (size H)
  for (const spec of layout.specs) {
    const end = spec.offset + spec.size;
    if (spec.name === 'embedding.weight') {
      for (let i = spec.offset; i < end; i++) params[i] = rng.normal();
    } else if (spec.name.startsWith('linear.')) {
      for (let i = spec.offset; i < end; i++) params[i] = rng.uniformRange(-linearBound, linearBound);
    } else if (spec.name.startsWith(`${config.cell}.`)) {
      for (let i = spec.offset; i < end; i++) params[i] = rng.uniformRange(-recurrentBound, recurrentBound);
    } else {
      throw new Error(`No initialisation rule for parameter "${spec.name}".`);
    }
  }
}
