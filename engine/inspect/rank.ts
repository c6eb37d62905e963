/**
 * Finding units by a pattern (Karpathy et al. 2015, "interpretable cells"): a regular expression marks
 * positions of the text, and every unit of every layer and kind is scored by how well its value
 * separates marked from unmarked positions.
 *
 *   AUC  (Mann–Whitney U / (n₁·n₀)): the probability that a marked position's value exceeds an unmarked
 *        one's, ties counted half. 1: the unit is higher wherever the pattern holds; 0: lower; 0.5: no
 *        separation. Score = |AUC − 0.5|·2, so a unit that switches off inside the pattern ranks too.
 *   point-biserial r: Pearson's correlation between the value and the 0/1 mark,
 *        r = (m₁ − m₀)/s · √(n₁n₀/N²) with s the population standard deviation; 0 for a constant unit.
 *        Score = |r|.
 * Ties in score keep a fixed order: h, then c, then the gates; then layer, then unit.
 * Not the trace (trace.ts) nor the marks' regular expression (marks.ts).
 */
import type { InspectTrace } from './trace.ts';

export type RankMeasure = 'auc' | 'correlation';
export const RANK_MEASURES: readonly RankMeasure[] = ['auc', 'correlation'];

export interface UnitRef {
  layer: number;
  kind: string;
  unit: number;
}

export interface RankedUnit extends UnitRef {
  /** e.g. "l0.h.12" */
  name: string;
  auc: number;
  correlation: number;
  /** |AUC − 0.5|·2 or |r|, by the measure asked for. */
  score: number;
  /** Whether the unit is higher (+1) or lower (−1) at marked positions. */
  direction: 1 | -1;
}

export function unitName(u: UnitRef): string {
  return `l${u.layer}.${u.kind}.${u.unit}`;
}

/** "l0.h.12" → { layer: 0, kind: 'h', unit: 12 }; null when it does not read so. */
export function parseUnitName(name: string): UnitRef | null {
  const m = /^l(\d+)\.([a-z])\.(\d+)$/.exec(name.trim());
  return m ? { layer: Number(m[1]), kind: m[2], unit: Number(m[3]) } : null;
}

/** Scratch for aucOf: sortable keys and marks, twice (radix sort ping-pongs), and the digit counts. */
export class AucScratch {
  readonly keys: Uint32Array[];
  readonly marks: Uint8Array[];
  readonly counts = new Uint32Array(3 * 2048);
  private readonly bits: Uint32Array;
  private readonly floats: Float32Array;

  constructor(readonly size: number) {
    this.keys = [new Uint32Array(size), new Uint32Array(size)];
    this.marks = [new Uint8Array(size), new Uint8Array(size)];
    this.floats = new Float32Array(1);
    this.bits = new Uint32Array(this.floats.buffer);
  }

  /** The float's bits, flipped so that unsigned order is numeric order (−0 taken as +0). */
  key(v: number): number {
    this.floats[0] = v === 0 ? 0 : v;
    const u = this.bits[0];
    return (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
  }
}

/**
 * AUC of `values` for the marked positions against the others (Mann–Whitney, ties half); NaN when a
 * side is empty. The values are sorted once (an LSD radix sort on their float32 bits, 11+11+10 bits,
 * linear in N), then each run of equal values adds marked × (unmarked below) + ½ marked × unmarked.
 */
export function aucOf(values: Float32Array, marked: Uint8Array, scratch = new AucScratch(values.length)): number {
  const N = values.length;
  if (scratch.size < N) throw new RangeError(`The AUC scratch holds ${scratch.size} values; ${N} were given.`);
  let [keys, keysNext] = scratch.keys;
  let [marks, marksNext] = scratch.marks;
  const counts = scratch.counts;
  counts.fill(0);
  let n1 = 0;
  for (let t = 0; t < N; t++) {
    const k = scratch.key(values[t]);
    keys[t] = k;
    marks[t] = marked[t];
    n1 += marked[t];
    counts[k & 2047]++;
    counts[2048 + ((k >>> 11) & 2047)]++;
    counts[4096 + (k >>> 22)]++;
  }
  const n0 = N - n1;
  if (n1 === 0 || n0 === 0) return NaN;
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * 2048;
    const shift = pass * 11;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[base + d];
      counts[base + d] = sum;
      sum += c;
    }
    for (let t = 0; t < N; t++) {
      const k = keys[t];
      const at = counts[base + ((k >>> shift) & 2047)]++;
      keysNext[at] = k;
      marksNext[at] = marks[t];
    }
    [keys, keysNext] = [keysNext, keys];
    [marks, marksNext] = [marksNext, marks];
  }
  let u = 0;
  let below = 0; // unmarked values below the current run
  for (let t = 0; t < N;) {
    const k = keys[t];
    let m = 0;
    let o = 0;
    for (; t < N && keys[t] === k; t++) {
      if (marks[t]) m++;
      else o++;
    }
    u += m * below + 0.5 * m * o;
    below += o;
  }
  return u / (n1 * n0);
}

/** Pearson correlation of `values` with the 0/1 marks; 0 when either is constant. */
export function pointBiserial(values: Float32Array, marked: Uint8Array): number {
  const N = values.length;
  let n1 = 0;
  let s1 = 0;
  let s = 0;
  for (let t = 0; t < N; t++) {
    s += values[t];
    if (marked[t]) {
      n1++;
      s1 += values[t];
    }
  }
  const n0 = N - n1;
  if (n1 === 0 || n0 === 0) return 0;
  const mean = s / N;
  let ss = 0;
  for (let t = 0; t < N; t++) ss += (values[t] - mean) ** 2;
  const sd = Math.sqrt(ss / N);
  if (!(sd > 0)) return 0;
  const m1 = s1 / n1;
  const m0 = (s - s1) / n0;
  return ((m1 - m0) / sd) * Math.sqrt((n1 * n0) / (N * N));
}

/** Units scored between two yields to the event loop (a few milliseconds' work on 20,000 positions). */
const YIELD_EVERY = 16;

/** Kind order for ties: what a reader sees first. */
function kindPriority(kind: string): number {
  const order = ['h', 'c', 'o', 'i', 'f', 'g', 'z', 'r', 'n'];
  const i = order.indexOf(kind);
  return i < 0 ? order.length : i;
}

export interface RankOptions {
  measure?: RankMeasure;
  top?: number;
  /** Only these kinds (default: all the model has). */
  kinds?: string[];
  /** Only these layers (default: all). */
  layers?: number[];
  /** Lets the host breathe between layers' kinds (ranking thousands of units takes a moment). */
  yieldToEventLoop?: () => Promise<void>;
}

/** Every unit scored against `marked` (N positions), best first, the first `top` of them. */
export async function rankUnits(trace: InspectTrace, marked: Uint8Array, options: RankOptions = {}): Promise<RankedUnit[]> {
  const N = trace.length;
  if (marked.length !== N) throw new RangeError(`The marks cover ${marked.length} positions; the trace has ${N}.`);
  let n1 = 0;
  for (let t = 0; t < N; t++) n1 += marked[t];
  if (n1 === 0) throw new RangeError('The pattern marks no position of the text, so there is nothing to separate.');
  if (n1 === N) throw new RangeError('The pattern marks every position of the text, so there is nothing to separate.');
  const measure = options.measure ?? 'auc';
  const kinds = options.kinds ?? [...trace.kinds];
  for (const kind of kinds) {
    if (!trace.kinds.includes(kind)) throw new RangeError(`A ${trace.cell.toUpperCase()} has no "${kind}" (it has ${trace.kinds.join(', ')}).`);
  }
  const layers = options.layers ?? Array.from({ length: trace.layers }, (_, l) => l);
  const scratch = new AucScratch(N);
  const all: RankedUnit[] = [];
  for (const layer of layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= trace.layers) {
      throw new RangeError(`Layer ${layer} does not exist: the model has ${trace.layers} (0 to ${trace.layers - 1}).`);
    }
    for (const kind of kinds) {
      const block = trace.values[layer * trace.kinds.length + trace.kinds.indexOf(kind)];
      for (let unit = 0; unit < trace.hidden; unit++) {
        const values = block.subarray(unit * N, (unit + 1) * N);
        const auc = aucOf(values, marked, scratch);
        const correlation = pointBiserial(values, marked);
        const score = measure === 'auc' ? Math.abs(auc - 0.5) * 2 : Math.abs(correlation);
        const direction = (measure === 'auc' ? auc >= 0.5 : correlation >= 0) ? 1 : -1;
        const ref = { layer, kind, unit };
        all.push({ ...ref, name: unitName(ref), auc, correlation, score, direction });
        if (options.yieldToEventLoop && unit % YIELD_EVERY === YIELD_EVERY - 1) await options.yieldToEventLoop();
      }
    }
  }
  all.sort((a, b) => b.score - a.score || kindPriority(a.kind) - kindPriority(b.kind) || a.layer - b.layer || a.unit - b.unit);
  return all.slice(0, Math.max(1, Math.floor(options.top ?? all.length)));
}
