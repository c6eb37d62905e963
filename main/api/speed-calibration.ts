/**
 * How fast this machine trains a model of a given shape, measured rather than guessed: about a second
 * of real training steps (the built-in engine's trainer, the same code a run uses) on a made-up text
 * with the corpus's number of distinct characters. New run's duration estimate uses it when no run has
 * trained on this machine yet. Measured in a query worker when the service has them (query-worker.ts),
 * so the host's event loop never waits on it; the service keeps one measurement per model shape.
 */
import { describeFieldErrors, parameterCount, validateHyperparameters, type Hyperparameters } from '../../engine/config.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { batchSize, trainingWindows } from '../../engine/train/run-length.ts';
import { train } from '../../engine/train/trainer.ts';
import { resolveHyperparameters } from '../runs/plan.ts';
import type { Storage } from '../storage/index.ts';
import { ApiError, type SpeedCalibration, type WorkbenchApi } from './contract.ts';

/** How long the steps are timed (after the model is built and one warm-up step). */
export const CALIBRATION_MS = 1000;
/** The made-up text is at most this long (a "full" batch then stands for a large corpus at the same chars/s). */
const MAX_TEXT_CHARS = 50_000;

export type CalibrationInput = Parameters<WorkbenchApi['calibrateSpeed']>[0];

/** What is measured: the model's shape and the batch, on the corpus's vocabulary size. */
export interface CalibrationJob {
  hyper: Hyperparameters;
  vocabSize: number;
  /** Characters of the made-up text. */
  chars: number;
  /** Equal for jobs that train at the same speed (the cache's key). */
  shape: string;
}

/** The job for an API input: the preset and fields resolved, the corpus's counts (or a small default vocabulary). */
export function calibrationJob(storage: Storage, input: CalibrationInput): CalibrationJob {
  const hyper = resolveHyperparameters(input.preset, input.hyper);
  const problem = describeFieldErrors(validateHyperparameters(hyper));
  if (problem) throw new ApiError(problem);
  if (hyper.engine !== 'builtin') throw new ApiError('Only the built-in engine can be calibrated; PyTorch runs are estimated from past runs only.');
  const corpus = input.corpusId === undefined ? null : storage.corpora.get(input.corpusId);
  if (corpus === null && input.corpusId !== undefined) throw new ApiError(`No corpus with id ${input.corpusId}.`, 'not-found');
  const vocabSize = Math.max(2, corpus?.distinct ?? 64);
  // Enough text for a few batches of windows, as long as the corpus when that is shorter.
  const wanted = (hyper.window + 1) * (hyper.batch === 'full' ? 256 : hyper.batch * 4);
  const chars = Math.max(hyper.window * 4, Math.min(MAX_TEXT_CHARS, wanted, Math.max(corpus?.chars ?? wanted, hyper.window * 4)));
  const { cell, layers, hidden, embed, window, objective, dropout, batch, stride, optimizer, threads } = hyper;
  const shape = JSON.stringify({ cell, layers, hidden, embed, window, objective, dropout, batch, stride, optimizer, threads, vocabSize, chars });
  return { hyper, vocabSize, chars, shape };
}

/** A text of `chars` characters drawn from `vocabSize` distinct ones (each at least once). */
function madeUpText(vocabSize: number, chars: number): string {
  const alphabet = Array.from({ length: vocabSize }, (_, i) => String.fromCodePoint(0x4e00 + i));
  const out = [...alphabet];
  let state = 12345;
  while (out.length < chars) {
    state = (state * 1103515245 + 12345) >>> 0;
    out.push(alphabet[state % vocabSize]);
  }
  return out.join('');
}

/** Trains for about CALIBRATION_MS and returns the characters per second, timed from the first step on. */
export async function measureSpeed(job: CalibrationJob): Promise<Omit<SpeedCalibration, 'cached'>> {
  // No validation, no periodic checkpoints: only training steps, until the time is up.
  const hyper: Hyperparameters = { ...job.hyper, steps: 1_000_000, valFraction: 0, checkpointEvery: 0, earlyStopPatience: 0 };
  let started: { at: number; step: number } | null = null;
  let last = { at: 0, step: 0 };
  const control = {
    shouldStop: () => started !== null && performance.now() - started.at >= CALIBRATION_MS,
    // Called once before every step: the first timed step is the second (the first warms the kernels).
    waitIfPaused: async (step: number) => {
      const at = performance.now();
      if (step === 1) started = { at, step };
      last = { at, step };
    },
  };
  const result = await train({ hyper, corpusText: madeUpText(job.vocabSize, job.chars) }, {}, control, { kernelHost: nodeKernelHost });
  if (result.status === 'error') throw new ApiError(`The calibration could not train: ${result.message}`);
  if (started === null || last.step <= (started as { step: number }).step) throw new ApiError('The calibration ended before it could time a step.', 'internal');
  const first = started as { at: number; step: number };
  const charsPerStep = batchSize(job.hyper, trainingWindows(hyper, job.chars)) * job.hyper.window;
  const steps = last.step - first.step;
  const measuredMs = last.at - first.at;
  return { charsPerSec: (steps * charsPerStep * 1000) / measuredMs, parameterCount: parameterCount(job.hyper, job.vocabSize), steps, measuredMs };
}

/** One measurement per shape, kept while the service lives; calls for a shape being measured share it. */
export class SpeedCalibrations {
  private readonly measured = new Map<string, Promise<Omit<SpeedCalibration, 'cached'>>>();

  async get(job: CalibrationJob, measure: () => Promise<Omit<SpeedCalibration, 'cached'>>): Promise<SpeedCalibration> {
    const known = this.measured.get(job.shape);
    if (known) return { ...(await known), cached: true };
    const pending = measure();
    this.measured.set(job.shape, pending);
    // A failed measurement is not kept: the next call tries again.
    pending.catch(() => this.measured.delete(job.shape));
    return { ...(await pending), cached: false };
  }
}
