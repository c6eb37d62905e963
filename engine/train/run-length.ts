/**
 * How long a run is, from its hyperparameters and the length of its corpus: its training windows, its
 * batch size and its total steps. The trainer, the host's plan (main/runs/plan.ts) and the New-run
 * form all compute them here, so the numbers the form shows are the ones the run gets.
 */
import type { Hyperparameters } from '../config.ts';
import { batchesPerEpoch, countWindows, trainLength } from '../data/windows.ts';

/** Training windows in a corpus of `chars` characters, the tail `valFraction` held out. */
export function trainingWindows(h: Pick<Hyperparameters, 'window' | 'objective' | 'stride' | 'valFraction'>, chars: number): number {
  return countWindows(trainLength(chars, h.valFraction), h.window, h.objective, h.stride);
}

/** Windows per minibatch: every one for "full", never more than there are, at least 1. */
export function batchSize(h: Pick<Hyperparameters, 'batch'>, trainWindows: number): number {
  const windows = Math.max(1, trainWindows);
  return h.batch === 'full' ? windows : Math.min(h.batch, windows);
}

/** Optimizer steps of a run: `steps` when set, else epochs × minibatches per epoch (0 without windows). */
export function totalSteps(h: Pick<Hyperparameters, 'batch' | 'epochs' | 'steps'>, trainWindows: number): number {
  return h.steps ?? h.epochs * batchesPerEpoch(trainWindows, batchSize(h, trainWindows));
}
