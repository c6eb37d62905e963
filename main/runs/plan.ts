/**
 * Planning a run before it exists: the hyperparameters (preset + overrides), what they mean for a given
 * corpus (windows, steps, parameters, memory) and every reason they cannot be used, in words. The
 * service checks with this before storing anything; the run manager uses the same numbers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_HYPERPARAMETERS, PRESETS, describeFieldErrors, memoryEstimate, parameterCount, validateAgainstCorpus, validateHyperparameters,
  type FieldErrors, type Hyperparameters, type PresetName,
} from '../../engine/config.ts';
import { isHyperparameterKey, sampleLengthProblem, sampleTemperatureProblem } from '../../engine/fields.ts';
import { gridPoints, gridSize, MAX_SWEEP_RUNS, type SweepGrid } from '../../engine/sweep-grid.ts';
import { totalSteps, trainingWindows } from '../../engine/train/run-length.ts';
import type { SampleSettings } from '../../engine/protocol.ts';
import { ApiError, type RunReproduction } from '../api/contract.ts';
import { REPO_ROOT } from './launcher.ts';

/** The workbench version recorded with every run (package.json), for reproduction. */
export const APP_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

export const DEFAULT_SAMPLE = { length: 200, temperature: 0.8, promptChars: 10 } as const;

/** Preset (or the defaults) with the given fields on top. Unknown presets and fields are errors. */
export function resolveHyperparameters(preset?: PresetName, overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  if (preset !== undefined && !(preset in PRESETS)) {
    throw new ApiError(`There is no preset named "${preset}" (there are ${Object.keys(PRESETS).join(', ')}).`);
  }
  const unknown = Object.keys(overrides).filter((key) => !isHyperparameterKey(key));
  if (unknown.length > 0) {
    throw new ApiError(`Unknown hyperparameter${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => `"${k}"`).join(', ')}.`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...(preset ? PRESETS[preset].hyper : DEFAULT_HYPERPARAMETERS), ...defined };
}

export interface TrainingPlan {
  errors: FieldErrors;
  corpusError: string | null;
  vocabSize: number;
  parameterCount: number;
  memoryBytes: number;
  trainWindows: number;
  totalSteps: number;
}

/** What a plan needs to know of a corpus: its length and distinct characters (a stored corpus's counts). */
export interface CorpusCounts {
  chars: number;
  distinct: number;
}

/** What these hyperparameters mean on a corpus of these counts (counts are 0 where they cannot be computed). */
export function planTraining(hyper: Hyperparameters, corpus: CorpusCounts | null): TrainingPlan {
  const errors = validateHyperparameters(hyper);
  const vocabSize = corpus === null ? 0 : corpus.distinct;
  const valid = Object.keys(errors).length === 0;
  const corpusError = valid && corpus !== null ? validateAgainstCorpus(hyper, corpus.chars) : null;
  const trainWindows = valid && corpus !== null && corpusError === null ? trainingWindows(hyper, corpus.chars) : 0;
  const steps = valid ? totalSteps(hyper, trainWindows) : 0;
  return {
    errors,
    corpusError,
    vocabSize,
    parameterCount: valid && vocabSize > 0 ? parameterCount(hyper, vocabSize) : 0,
    memoryBytes: valid && vocabSize > 0 ? memoryEstimate(hyper, vocabSize, trainWindows) : 0,
    trainWindows,
    totalSteps: steps,
  };
}

/** Throws the readable reason these hyperparameters cannot train on this text. */
export function requireTrainable(plan: TrainingPlan, corpusName: string): void {
  const fieldMessage = describeFieldErrors(plan.errors);
  if (fieldMessage) throw new ApiError(fieldMessage);
  if (plan.corpusError) throw new ApiError(`Corpus "${corpusName}": ${plan.corpusError}`);
}

/**
 * Checkpoint sample settings: given values, else 200 chars at 0.8 from the corpus's first characters.
 * `corpus` is what is needed of the text: its first characters and its vocabulary.
 */
export function sampleSettings(
  corpus: { start: string; vocab: readonly string[] },
  given: { prompt?: string; length?: number; temperature?: number } = {},
): SampleSettings {
  const length = given.length ?? DEFAULT_SAMPLE.length;
  const temperature = given.temperature ?? DEFAULT_SAMPLE.temperature;
  const problem = sampleLengthProblem(length) ?? sampleTemperatureProblem(temperature);
  if (problem) throw new ApiError(problem);
  const prompt = given.prompt ?? Array.from(corpus.start).slice(0, DEFAULT_SAMPLE.promptChars).join('');
  if (prompt.length === 0) throw new ApiError('The sample prompt is empty.');
  const known = new Set(corpus.vocab);
  const unknown = [...new Set(Array.from(prompt))].filter((c) => !known.has(c));
  if (unknown.length > 0) throw new ApiError(`The sample prompt has characters the corpus lacks: ${unknown.map((c) => JSON.stringify(c)).join(', ')}.`);
  return { prompt, length, temperature };
}

export function reproductionOf(hyper: Hyperparameters, corpusSha256: string | null, threads = hyper.threads): RunReproduction {
  return { appVersion: APP_VERSION, kernelPath: null, threads, corpusSha256, seed: hyper.seed, hyper };
}

/** Every combination of a sweep grid, in order (the last field varies fastest), once its fields are checked. */
export function expandGrid(grid: SweepGrid): Partial<Hyperparameters>[] {
  const entries = Object.entries(grid).filter(([, values]) => values !== undefined);
  if (entries.length === 0) throw new ApiError('A sweep needs at least one field with values.');
  for (const [field, values] of entries) {
    if (!isHyperparameterKey(field)) throw new ApiError(`Unknown hyperparameter "${field}" in the sweep grid.`);
    if (!Array.isArray(values) || values.length === 0) throw new ApiError(`The sweep field "${field}" needs at least one value.`);
  }
  const runs = gridSize(grid);
  if (runs > MAX_SWEEP_RUNS) throw new ApiError(`This sweep would create ${runs} runs; at most ${MAX_SWEEP_RUNS} at a time.`);
  return gridPoints(grid);
}
