/**
 * Training data as windows over one id sequence: the validation split, the window starts, the order of
 * an epoch and the copy of a minibatch into preallocated arrays.
 *
 * With N ids, window T and stride S, the starts are s = 0, S, 2S, … while s + T ≤ N − 1
 * (every window needs the one id after it), i.e. ⌊(N − T − 1) / S⌋ + 1 windows.
 *   'next' (the reference script): inputs ids[s, s+T), target ids[s+T]        → targets (B)
 *   'every' (char-rnn):            inputs ids[s, s+T), targets ids[s+1, s+T+1) → targets (B, T)
 * The validation split is the contiguous tail: train = the first ⌊N·(1 − f)⌋ ids (the same expression as
 * `validateAgainstCorpus`, so both agree on the edge cases of floating point).
 * The starts are not stored (they are i·S): a list of them would cost 4 bytes per character of a big corpus.
 * Not a loader: no text, no vocabulary, and nothing here allocates per step.
 */
import type { Objective } from '../config.ts';
import type { Rng } from '../core/rng.ts';
import { CorpusTooShortError, groupDigits } from '../text/errors.ts';
import type { TokenIds } from '../text/vocab.ts';

/** The window starts 0, S, 2S, …: a list in all but storage (length, `at`, iteration). */
export class WindowStarts implements Iterable<number> {
  constructor(readonly length: number, readonly stride: number) {}

  at(i: number): number {
    return i * this.stride;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield i * this.stride;
  }
}

export interface WindowSet {
  /** The id sequence the windows index into (shared, not copied). */
  ids: TokenIds;
  /** Start of each window in `ids`. */
  starts: WindowStarts;
  window: number;
  objective: Objective;
}

/** Train = the first ⌊N·(1 − valFraction)⌋ ids, val = the rest; both are views of `ids`. */
export function splitCorpus<Ids extends TokenIds>(ids: Ids, valFraction: number): { train: Ids; val: Ids } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`The validation fraction must be from 0 to below 1 (got ${valFraction}).`);
  }
  const train = trainLength(ids.length, valFraction);
  return { train: ids.subarray(0, train) as Ids, val: ids.subarray(train) as Ids };
}

/** Characters of the training split of a text of `length`: ⌊length·(1 − valFraction)⌋. */
export function trainLength(length: number, valFraction: number): number {
  return Math.floor(length * (1 - valFraction));
}

/** The stride `0` means: 1 for 'next' (every position), `window` for 'every' (non-overlapping, like char-rnn). */
export function effectiveStride(window: number, objective: Objective, stride: number): number {
  if (stride !== 0) return stride;
  return objective === 'next' ? 1 : window;
}

/**
 * Windows in a text of `length` characters: one per stride step while a window and its target fit
 * (`window + 1` characters), 0 when not even one does. The one count the trainer, the host's plan,
 * the corpus view and the New-run form use.
 */
export function countWindows(length: number, window: number, objective: Objective, stride: number): number {
  const need = window + 1;
  if (length < need) return 0;
  return Math.floor((length - need) / effectiveStride(window, objective, stride)) + 1;
}

/**
 * All windows of `ids`. `label` names the text in the error when it is too short for one window
 * (e.g. "The validation split").
 */
export function makeWindows(ids: TokenIds, window: number, objective: Objective, stride: number, label = 'The text'): WindowSet {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`The window must be a whole number of at least 1 (got ${window}).`);
  if (!Number.isInteger(stride) || stride < 0) throw new RangeError(`The stride must be a whole number of at least 0 (got ${stride}).`);
  if (objective !== 'next' && objective !== 'every') throw new RangeError(`The objective must be "next" or "every" (got ${String(objective)}).`);
  const need = window + 1;
  if (ids.length < need) {
    throw new CorpusTooShortError(
      `${label} has ${groupDigits(ids.length)} character${ids.length === 1 ? '' : 's'}; a window of ${groupDigits(window)} needs at least ${groupDigits(need)}.`,
    );
  }
  const count = countWindows(ids.length, window, objective, stride);
  return { ids, starts: new WindowStarts(count, effectiveStride(window, objective, stride)), window, objective };
}

/** Number of windows in a set. */
export function windowCount(set: WindowSet): number {
  return set.starts.length;
}

/** Minibatches in one pass over `count` windows; the last one holds the remainder (count − (n−1)·B windows). */
export function batchesPerEpoch(count: number, B: number): number {
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`The batch size must be a whole number of at least 1 (got ${B}).`);
  return Math.ceil(count / B);
}

/** 0, 1, …, count − 1 (evaluation order), written into `into` when it has that length (a big order is not allocated twice). */
export function sequentialOrder(count: number, into?: Int32Array): Int32Array {
  const order = into?.length === count ? into : new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** Orders of more windows than this are drawn bucket by bucket (`scatterShuffle`); smaller ones by plain Fisher–Yates. */
export const BUCKETED_ORDER_ABOVE = 1 << 24;
/** Windows per bucket of a bucketed order on average (256 kB of Int32: a bucket's shuffle stays in the cache). */
const BUCKET_WINDOWS = 1 << 16;

/**
 * A permutation of 0..count−1 drawn from `rng`, for one training epoch; `into` as for `sequentialOrder`.
 * Fisher–Yates up to BUCKETED_ORDER_ABOVE windows; above, where each of its swaps would be a cache miss
 * (over a minute for 200 M windows), a bucketed shuffle: uniform as well, but another permutation.
 */
export function shuffledOrder(count: number, rng: Rng, into?: Int32Array): Int32Array {
  if (count > BUCKETED_ORDER_ABOVE) return scatterShuffle(count, rng, into);
  const order = sequentialOrder(count, into);
  rng.shuffle(order);
  return order;
}

/**
 * A uniform permutation for orders far bigger than the cache: every index goes to a uniformly drawn
 * bucket, then each bucket is Fisher–Yates shuffled. Given the bucket sizes the split into buckets is
 * uniform and so is each bucket's order, hence the whole permutation is uniform. The bucket stream is
 * drawn twice (count, then place) from a replayed rng state rather than stored (that would be 2 bytes per window).
 */
function scatterShuffle(count: number, rng: Rng, into?: Int32Array): Int32Array {
  const order = into?.length === count ? into : new Int32Array(count);
  const buckets = Math.ceil(count / BUCKET_WINDOWS);
  const replay = rng.getState();
  const starts = new Int32Array(buckets + 1);
  for (let i = 0; i < count; i++) starts[rng.int(buckets) + 1]++;
  for (let b = 0; b < buckets; b++) starts[b + 1] += starts[b];
  const next = starts.slice(0, buckets);
  rng.setState(replay);
  for (let i = 0; i < count; i++) order[next[rng.int(buckets)]++] = i;
  for (let b = 0; b < buckets; b++) rng.shuffle(order.subarray(starts[b], starts[b + 1]));
  return order;
}

/**
 * Copies windows order[from .. from+B) into `inputs` (B, T) and `targets` (B) for 'next' or (B, T) for
 * 'every'. The arrays may be longer than needed (buffers sized for the largest batch); nothing is allocated.
 */
export function fillBatch(set: WindowSet, order: Int32Array, from: number, B: number, inputs: Int32Array, targets: Int32Array): void {
  const { ids, starts, window: T } = set;
  const every = set.objective === 'every';
  if (from < 0 || from + B > order.length) {
    throw new RangeError(`Batch [${from}, ${from + B}) is outside the order of ${order.length} windows.`);
  }
  if (inputs.length < B * T) throw new RangeError(`inputs holds ${inputs.length} ids; a batch of ${B}×${T} needs ${B * T}.`);
  const targetsNeeded = every ? B * T : B;
  if (targets.length < targetsNeeded) throw new RangeError(`targets holds ${targets.length} ids; this batch needs ${targetsNeeded}.`);

  for (let b = 0; b < B; b++) {
    const w = order[from + b];
    if (w < 0 || w >= starts.length) throw new RangeError(`Window ${w} does not exist (there are ${starts.length}).`);
    const s = w * starts.stride;
    const row = b * T;
    for (let t = 0; t < T; t++) inputs[row + t] = ids[s + t];
    if (every) {
      for (let t = 0; t < T; t++) targets[row + t] = ids[s + 1 + t];
    } else {
      targets[b] = ids[s + T];
    }
  }
}
