/**
 * The long trace behind Inspect: a model reads a whole text from a zero state, carrying its state from
 * character to character (as an 'every' model reads, and as Karpathy et al. 2015 read their texts),
 * and every layer's h, c and gates, the loss and the top-5 next-character predictions are kept at
 * every position. Chunks of positions go through Model.readChunk (the input products of a chunk as one
 * matrix product), so 20,000 characters are not 20,000 separate forward calls.
 *
 * Position t is the t-th character of the text. At t:
 *   values       the activations after reading character t (unit-major: unit j of a layer/kind holds
 *                its N values at [j·N, (j+1)·N), so one unit's strip is one contiguous view);
 *   lossBits[t]  −log2 p(character t | characters before it); NaN at t = 0 (nothing read yet);
 *   top          the 5 most likely next characters after reading character t.
 * Not a ranking, a chart or a cache: see rank.ts, saturation.ts, selection.ts; the host caches.
 */
import type { CellKind } from '../config.ts';
import { GATE_NAMES } from '../infer/trace.ts';
import type { Model } from '../model.ts';

export const TOP_K = 5;
/** Positions per chunk: small enough for a modest workspace, big enough for matrix products to pay off. */
export const TRACE_CHUNK = 512;

export interface InspectTrace {
  cell: CellKind;
  layers: number;
  hidden: number;
  /** Kinds per layer, in order: LSTM i,f,g,o,c,h; GRU r,z,n,h; RNN h. */
  kinds: readonly string[];
  /** Positions traced. */
  length: number;
  ids: Int32Array; // (N) the characters read
  /** values[layer·K + kind]: (H, N) unit-major activations. */
  values: Float32Array[];
  lossBits: Float32Array; // (N) NaN at 0
  topIds: Int32Array; // (N, 5) most likely next character first
  topP: Float32Array; // (N, 5)
}

export interface TraceHooks {
  /** Called after each chunk with positions done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between chunks; true ends the trace (the result is then null). */
  shouldStop?: () => boolean;
  /** Lets messages in between chunks (a cancel must get through). */
  yieldToEventLoop?: () => Promise<void>;
  chunk?: number;
}

/** Bytes the trace's arrays take: positions × layers × kinds × H × 4 for the activations, plus loss and top-5. */
export function traceBytes(config: { cell: CellKind; layers: number; hidden: number }, positions: number): number {
  const K = GATE_NAMES[config.cell].length;
  return positions * (config.layers * K * config.hidden * 4 + 4 + 4 + TOP_K * 8);
}

/** Traces `ids` (at least one) through `model`; null when `shouldStop` said so. */
export async function traceIds(model: Model, ids: Int32Array, hooks: TraceHooks = {}): Promise<InspectTrace | null> {
  const { cell, layers: L, hidden: H, vocabSize: V } = model.config;
  const N = ids.length;
  if (N === 0) throw new RangeError('The text is empty: there is nothing to trace.');
  const kinds = GATE_NAMES[cell];
  const K = kinds.length;
  const G = kinds.length - (cell === 'lstm' ? 2 : 1); // gates stored in the workspace's gate buffer
  const result: InspectTrace = {
    cell, layers: L, hidden: H, kinds, length: N, ids: Int32Array.from(ids),
    values: Array.from({ length: L * K }, () => new Float32Array(H * N)),
    lossBits: new Float32Array(N),
    topIds: new Int32Array(N * TOP_K),
    topP: new Float32Array(N * TOP_K),
  };
  result.lossBits[0] = NaN;
  const chunk = Math.max(1, Math.floor(hooks.chunk ?? TRACE_CHUNK));
  const state = model.createState();
  const best = new Int32Array(TOP_K);
  for (let t0 = 0; t0 < N; t0 += chunk) {
    if (hooks.shouldStop?.()) return null;
    const T = Math.min(chunk, N - t0);
    const view = model.readChunk(state, ids.subarray(t0, t0 + T), T);
    for (let l = 0; l < L; l++) {
      const lv = view.layers[l];
      for (let g = 0; g < G; g++) scatter(result.values[l * K + g], lv.gates!, g * H, G * H, t0, T, H, N);
      if (cell === 'lstm') scatter(result.values[l * K + G], lv.cells!, 0, H, t0, T, H, N);
      scatter(result.values[l * K + K - 1], lv.out, 0, H, t0, T, H, N);
    }
    for (let r = 0; r < T; r++) {
      const t = t0 + r;
      const logZ = logSumExp(view.logits, r * V, V);
      if (t + 1 < N) result.lossBits[t + 1] = (logZ - view.logits[r * V + ids[t + 1]]) / Math.LN2;
      const k = topK(best, view.logits, r * V, V);
      for (let i = 0; i < TOP_K; i++) {
        result.topIds[t * TOP_K + i] = i < k ? best[i] : -1;
        result.topP[t * TOP_K + i] = i < k ? Math.exp(view.logits[r * V + best[i]] - logZ) : 0;
      }
    }
    hooks.onProgress?.(t0 + T, N);
    if (hooks.yieldToEventLoop) await hooks.yieldToEventLoop();
  }
  return result;
}

/** Copies T rows of H values (row stride `stride`, starting at `offset`) into unit-major dst at positions t0.. */
function scatter(dst: Float32Array, src: Float32Array, offset: number, stride: number, t0: number, T: number, H: number, N: number): void {
  // unit by unit: each unit's T positions are written in a row (faster than position by position)
  for (let j = 0; j < H; j++) {
    let d = j * N + t0;
    for (let r = 0, s = offset + j; r < T; r++, s += stride) dst[d++] = src[s];
  }
}

/** log Σ exp(logits[offset .. offset+V)), in float64. */
function logSumExp(logits: Float32Array, offset: number, V: number): number {
  let max = -Infinity;
  for (let i = offset; i < offset + V; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = offset; i < offset + V; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}

/** Ids of the TOP_K largest logits into `best`, largest first (ties: lower id first), in one pass; returns how many. */
function topK(best: Int32Array, logits: Float32Array, offset: number, V: number): number {
  let n = 0;
  for (let id = 0; id < V; id++) {
    const v = logits[offset + id];
    if (n === TOP_K && v <= logits[offset + best[n - 1]]) continue;
    let i = n < TOP_K ? n++ : n - 1;
    while (i > 0 && v > logits[offset + best[i - 1]]) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = id;
  }
  return n;
}

/** The values of one unit (a view: N positions). */
export function unitValues(trace: InspectTrace, layer: number, kind: string, unit: number): Float32Array {
  const k = trace.kinds.indexOf(kind);
  if (layer < 0 || layer >= trace.layers || !Number.isInteger(layer)) {
    throw new RangeError(`Layer ${layer} does not exist: the model has ${trace.layers} (0 to ${trace.layers - 1}).`);
  }
  if (k < 0) throw new RangeError(`A ${trace.cell.toUpperCase()} has no "${kind}" (it has ${trace.kinds.join(', ')}).`);
  if (unit < 0 || unit >= trace.hidden || !Number.isInteger(unit)) {
    throw new RangeError(`Unit ${unit} does not exist: the layer has ${trace.hidden} (0 to ${trace.hidden - 1}).`);
  }
  const N = trace.length;
  return trace.values[layer * trace.kinds.length + k].subarray(unit * N, (unit + 1) * N);
}
