/**
 * The messages between a host and an inspect process (engine/inspect-worker.ts): one job per process,
 * a long trace of a checkpoint over a text, or n-gram models fitted on a training text and scored on
 * another. The host may send `cancel` at any time; the worker checks for it between chunks and ends.
 * Typed arrays travel as they are (structured clone). The `error` shape is the training engine's, so
 * engine/host.ts's crash report reads the same here.
 */
import type { InspectTrace } from './trace.ts';

export interface TraceJob {
  type: 'trace';
  /** The checkpoint's safetensors bytes. */
  checkpoint: Uint8Array;
  text: string;
  chunk?: number;
}

export interface NgramJob {
  type: 'ngram';
  /** The text the models are fitted on (a run's training split). */
  train: string;
  /** The text they are scored on. */
  text: string;
  alphabet: string[];
  /** Orders 1..maxOrder are fitted and scored. */
  maxOrder: number;
}

export type InspectHostMessage = TraceJob | NgramJob | { type: 'cancel' };

export interface NgramOutcome {
  /** Per order n = 1..maxOrder: mean bits over positions 1..N−1 of the text, and the bits at each position (NaN at 0). */
  orders: { n: number; bitsPerChar: number; bits: Float32Array }[];
}

export type InspectEngineMessage =
  | { type: 'progress'; phase: 'load' | 'trace' | 'count' | 'score'; done: number; total: number }
  | { type: 'trace-done'; trace: InspectTrace }
  | { type: 'ngram-done'; result: NgramOutcome }
  | { type: 'cancelled' }
  | { type: 'error'; message: string; step: null };
