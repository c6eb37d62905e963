/**
 * A running trainer's state as checkpoint bytes and back. A checkpoint carries everything an exact
 * continuation needs: the parameters, the optimizer's moments and step count, the step counter, the
 * dropout RNG's state, the hyperparameters and the trainer's own counters (early-stopping best and
 * patience count, elapsed time) in the string metadata. The shuffle order needs nothing saved: each
 * epoch's order is derived from (seed, epoch), see `epochOrder` in trainer.ts.
 * Not the file format itself (engine/format/checkpoint.ts is).
 */
import type { Hyperparameters } from '../config.ts';
import type { RngState } from '../core/rng.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../format/checkpoint.ts';
import type { KernelPath } from '../kernels/types.ts';
import type { Model } from '../model.ts';
import type { Optimizer } from '../optim/index.ts';
import type { EarlyStoppingState } from './guard.ts';
import { TrainingError, errorMessage } from './validate.ts';

/** The trainer's counters beyond what the format has fields for. */
export interface TrainerCounters {
  early: EarlyStoppingState;
  elapsedMs: number;
  lastValLoss: number | null;
  lastTrainLoss: number;
}

export interface TrainerSnapshot {
  model: Model;
  optimizer: Optimizer;
  vocab: string[];
  hyper: Hyperparameters;
  step: number;
  dropoutRng: RngState;
  counters: TrainerCounters;
}

const KEY = {
  bestValLoss: 'trainer.best_val_loss',
  evalsSinceBest: 'trainer.evals_since_best',
  elapsedMs: 'trainer.elapsed_ms',
  lastValLoss: 'trainer.last_val_loss',
  lastTrainLoss: 'trainer.last_train_loss',
} as const;

export function encodeTrainerCheckpoint(s: TrainerSnapshot): Uint8Array {
  const c: Checkpoint = {
    config: s.model.config,
    vocab: s.vocab,
    params: s.model.params,
    step: s.step,
    hyper: s.hyper,
    optimizer: { kind: s.optimizer.kind, stepCount: s.optimizer.stepCount, buffers: s.optimizer.state() },
    rng: s.dropoutRng,
    kernelPath: s.model.kernels.path,
    extra: {
      [KEY.bestValLoss]: String(s.counters.early.best),
      [KEY.evalsSinceBest]: String(s.counters.early.evalsSinceBest),
      [KEY.elapsedMs]: String(Math.round(s.counters.elapsedMs)),
      [KEY.lastValLoss]: String(s.counters.lastValLoss),
      [KEY.lastTrainLoss]: String(s.counters.lastTrainLoss),
    },
  };
  const bytes = encodeCheckpoint(c, { withOptimizer: true });
  // A view into a larger buffer would carry the whole buffer through structured clone.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export interface ResumePoint {
  checkpoint: Checkpoint;
  step: number;
  optimizer: NonNullable<Checkpoint['optimizer']>;
  rng: RngState | null;
  counters: TrainerCounters;
  kernelPath: KernelPath | undefined;
}

/**
 * Decodes checkpoint bytes for an exact resume of a run with these hyperparameters.
 * Every problem (truncated or corrupted bytes, another architecture, no optimizer state) is a
 * `TrainingError` that starts with "Cannot resume".
 */
export function readResumePoint(bytes: Uint8Array, hyper: Hyperparameters, vocab?: string[]): ResumePoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(bytes, vocab ? { vocab } : undefined);
  } catch (e) {
    throw new TrainingError(`Cannot resume from this checkpoint: ${errorMessage(e)}`);
  }
  const c = checkpoint.config;
  const mismatches: string[] = [];
  const compare = (label: string, ours: unknown, theirs: unknown) => {
    if (ours !== theirs) mismatches.push(`${label} ${String(theirs)} in the checkpoint, ${String(ours)} in this run`);
  };
  compare('cell', hyper.cell, c.cell);
  compare('layers', hyper.layers, c.layers);
  compare('hidden size', hyper.hidden, c.hidden);
  compare('embedding size', hyper.embed, c.embed);
  compare('window', hyper.window, c.window);
  compare('objective', hyper.objective, c.objective);
  if (mismatches.length > 0) throw new TrainingError(`Cannot resume: the checkpoint is another architecture (${mismatches.join('; ')}).`);
  if (!checkpoint.optimizer) throw new TrainingError('Cannot resume: the checkpoint has no optimizer state (an exact continuation needs the optimizer moments).');
  if (checkpoint.optimizer.kind !== hyper.optimizer) {
    throw new TrainingError(`Cannot resume: the checkpoint was trained with ${checkpoint.optimizer.kind}, this run uses ${hyper.optimizer}.`);
  }
  if (!allFinite(checkpoint.params)) {
    throw new TrainingError('Cannot resume: the checkpoint holds parameters that are NaN or infinite (the file is corrupted or the run had diverged).');
  }
  for (const [name, buffer] of Object.entries(checkpoint.optimizer.buffers)) {
    if (!allFinite(buffer)) throw new TrainingError(`Cannot resume: the checkpoint's optimizer state "${name}" holds NaN or infinite values (the file is corrupted).`);
  }
  const extra = checkpoint.extra ?? {};
  const num = (key: string, fallback: number) => {
    const v = extra[key];
    if (v === undefined || v === 'null') return fallback;
    const x = Number(v);
    return Number.isNaN(x) ? fallback : x;
  };
  const lastVal = extra[KEY.lastValLoss];
  return {
    checkpoint,
    step: checkpoint.step,
    optimizer: checkpoint.optimizer,
    rng: checkpoint.rng ?? null,
    counters: {
      early: { best: num(KEY.bestValLoss, Infinity), evalsSinceBest: num(KEY.evalsSinceBest, 0) },
      elapsedMs: num(KEY.elapsedMs, 0),
      lastValLoss: lastVal === undefined || lastVal === 'null' ? null : Number(lastVal),
      lastTrainLoss: num(KEY.lastTrainLoss, NaN),
    },
    kernelPath: checkpoint.kernelPath,
  };
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
