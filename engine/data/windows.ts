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
 * Not a loader: no text, no vocabulary, and nothing here allocates per step.
 */
import type { Objective } from '../config.ts';
import type { Rng } from '../core/rng.ts';
import { CorpusTooShortError, groupDigits } from '../text/errors.ts';

export interface WindowSet {
  /** The id sequence the windows index into (shared, not copied). */
  ids: Int32Array;
  /** Start of each window in `ids`. */
  starts: Int32Array;
  window: number;
  objective: Objective;
}

/** Train = the first ⌊N·(1 − valFraction)⌋ ids, val = the rest; both are views of `ids`. */
export function splitCorpus(ids: Int32Array, valFraction: number): { train: Int32Array; val: Int32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`The validation fraction must be from 0 to below 1 (got ${valFraction}).`);
  }
  const trainLength = Math.floor(ids.length * (1 - valFraction));
  return { train: ids.subarray(0, trainLength), val: ids.subarray(trainLength) };
}

/** The stride `0` means: 1 for 'next' (every position), `window` for 'every' (non-overlapping, like char-rnn). */
export function effectiveStride(window: number, objective: Objective, stride: number): number {
  if (stride !== 0) return stride;
  return objective === 'next' ? 1 : window;
}

/**
 * All windows of `ids`. `label` names the text in the error when it is too short for one window
 * (e.g. "The validation split").
 */
export function makeWindows(ids: Int32Array, window: number, objective: Objective, stride: number, label = 'The text'): WindowSet {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`The window must be a whole number of at least 1 (got ${window}).`);
  if (!Number.isInteger(stride) || stride < 0) throw new RangeError(`The stride must be a whole number of at least 0 (got ${stride}).`);
  if (objective !== 'next' && objective !== 'every') throw new RangeError(`The objective must be "next" or "every" (got ${String(objective)}).`);
  const need = window + 1;
  if (ids.length < need) {
    throw new CorpusTooShortError(
      `${label} has ${groupDigits(ids.length)} character${ids.length === 1 ? '' : 's'}; a window of ${groupDigits(window)} needs at least ${groupDigits(need)}.`,
    );
  }
  const step = effectiveStride(window, objective, stride);
  const count = Math.floor((ids.length - need) / step) + 1;
  const starts = new Int32Array(count);
  for (let i = 0; i < count; i++) starts[i] = i * step;
  return { ids, starts, window, objective };
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

/** 0, 1, …, count − 1 (evaluation order). */
export function sequentialOrder(count: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** A permutation of 0..count−1 drawn from `rng` (Fisher–Yates), for one training epoch. */
export function shuffledOrder(count: number, rng: Rng): Int32Array {
  const order = sequentialOrder(count);
  rng.shuffle(order);
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
    const s = starts[w];
    const row = b * T;
    for (let t = 0; t < T; t++) inputs[row + t] = ids[s + t];
    if (every) {
      for (let t = 0; t < T; t++) targets[row + t] = ids[s + 1 + t];
    } else {
      targets[b] = ids[s + T];
    }
  }
}
