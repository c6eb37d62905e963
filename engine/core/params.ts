/**
 * The parameter layout: every tensor of a model as a named slice of one flat Float32Array, in
 * PyTorch's `state_dict` order and names (`embedding.weight`, `lstm.weight_ih_l0`, …, `linear.bias`).
 * Gradients and optimizer moments use the same layout, so an optimizer is one loop over flat arrays
 * and a checkpoint is one copy.
 */
import { GATES, type CellKind, type ModelConfig } from '../config.ts';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Element offset into the flat array. */
  offset: number;
  /** Number of elements. */
  size: number;
}

export class ParamLayout {
  readonly specs: readonly ParamSpec[];
  readonly total: number;
  private readonly byName: Map<string, ParamSpec>;

  constructor(entries: { name: string; shape: number[] }[]) {
    let offset = 0;
    this.specs = entries.map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const spec = { name, shape, offset, size };
      offset += size;
      return spec;
    });
    this.total = offset;
    this.byName = new Map(this.specs.map((s) => [s.name, s]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): ParamSpec {
    const spec = this.byName.get(name);
    if (!spec) throw new Error(`No parameter named "${name}".`);
    return spec;
  }

  /** A view of one tensor inside a flat array of this layout (allocates a view: not for the step loop). */
  view(flat: Float32Array, name: string): Float32Array {
    const { offset, size } = this.get(name);
    return flat.subarray(offset, offset + size);
  }
}

/** Parameter names of one recurrent layer, e.g. `lstm.weight_ih_l0`. */
export function recurrentNames(cell: CellKind, layer: number) {
  return {
    weightIh: `${cell}.weight_ih_l${layer}`,
    weightHh: `${cell}.weight_hh_l${layer}`,
    biasIh: `${cell}.bias_ih_l${layer}`,
    biasHh: `${cell}.bias_hh_l${layer}`,
  };
}

export function buildLayout(config: Pick<ModelConfig, 'cell' | 'layers' | 'vocabSize' | 'embed' | 'hidden'>): ParamLayout {
  const { cell, layers, vocabSize: V, embed: E, hidden: H } = config;
  const G = GATES[cell];
  const entries: { name: string; shape: number[] }[] = [{ name: 'embedding.weight', shape: [V, E] }];
  for (let l = 0; l < layers; l++) {
    const n = recurrentNames(cell, l);
    const inSize = l === 0 ? E : H;
    entries.push(
      { name: n.weightIh, shape: [G * H, inSize] },
      { name: n.weightHh, shape: [G * H, H] },
      { name: n.biasIh, shape: [G * H] },
      { name: n.biasHh, shape: [G * H] },
    );
  }
  entries.push({ name: 'linear.weight', shape: [V, H] }, { name: 'linear.bias', shape: [V] });
  return new ParamLayout(entries);
}
