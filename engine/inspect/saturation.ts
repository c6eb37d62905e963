/**
 * Gate saturation (Karpathy et al. 2015, fig. 3): for each sigmoid gate of each unit, the fraction of
 * positions where it is left-saturated (value < 0.1) and right-saturated (value > 0.9).
 * Gates: LSTM input i, forget f, output o; GRU reset r, update z. An RNN has none.
 */
import type { CellKind } from '../config.ts';
import type { InspectTrace } from './trace.ts';

export const SATURATION_LOW = 0.1;
export const SATURATION_HIGH = 0.9;
export const SATURATING_GATES: Record<CellKind, readonly string[]> = { lstm: ['i', 'f', 'o'], gru: ['r', 'z'], rnn: [] };

export interface GateSaturation {
  layer: number;
  gate: string;
  /** Per unit: fraction of positions below 0.1 and above 0.9. */
  left: number[];
  right: number[];
}

export function saturation(trace: InspectTrace): GateSaturation[] {
  const N = trace.length;
  const out: GateSaturation[] = [];
  for (let layer = 0; layer < trace.layers; layer++) {
    for (const gate of SATURATING_GATES[trace.cell]) {
      const block = trace.values[layer * trace.kinds.length + trace.kinds.indexOf(gate)];
      const left: number[] = [];
      const right: number[] = [];
      for (let unit = 0; unit < trace.hidden; unit++) {
        let low = 0;
        let high = 0;
        for (let t = unit * N, end = t + N; t < end; t++) {
          const v = block[t];
          if (v < SATURATION_LOW) low++;
          else if (v > SATURATION_HIGH) high++;
        }
        left.push(low / N);
        right.push(high / N);
      }
      out.push({ layer, gate, left, right });
    }
  }
  return out;
}
