/**
 * Planning a run before it exists: the hyperparameters (preset + overrides), what they mean for a given
 * corpus (windows, steps, parameters, memory) and every reason they cannot be used, in words. The
 * service checks with this before storing anything; the run manager uses the same numbers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_HYPERPARAMETERS, PRESETS, memoryEstimate, parameterCount, validateAgainstCorpus, validateHyperparameters,
  type FieldErrors, type Hyperparameters, type PresetName,
} from '../../engine/config.ts';
import { effectiveStride } from '../../engine/data/windows.ts';
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
  const unknown = Object.keys(overrides).filter((key) => !(key in DEFAULT_HYPERPARAMETERS));
  if (unknown.length > 0) {
    throw new ApiError(`Unknown hyperparameter${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => `"${k}"`).join(', ')}.`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...(preset ? PRESETS[preset].hyper : DEFAULT_HYPERPARAMETERS), ...defined };
}

/** The field errors as one readable message (the order of the form). */
export function describeFieldErrors(errors: FieldErrors): string | null {
  const messages = Object.values(errors).filter((m): m is string => typeof m === 'string');
  return messages.length === 0 ? null : messages.join(' ');
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

/** What these hyperparameters mean on this text (counts are 0 where they cannot be computed). */
export function planTraining(hyper: Hyperparameters, corpusText: string | null): TrainingPlan {
  const errors = validateHyperparameters(hyper);
  const chars = corpusText === null ? null : Array.from(corpusText);
  const vocabSize = chars === null ? 0 : new Set(chars).size;
  const valid = Object.keys(errors).length === 0;
  const corpusError = valid && chars !== null ? validateAgainstCorpus(hyper, chars.length) : null;
  let trainWindows = 0;
  if (valid && chars !== null && corpusError === null) {
    const trainLength = Math.floor(chars.length * (1 - hyper.valFraction));
    const stride = effectiveStride(hyper.window, hyper.objective, hyper.stride);
    trainWindows = Math.floor((trainLength - (hyper.window + 1)) / stride) + 1;
  }
  const batch = hyper.batch === 'full' ? Math.max(1, trainWindows) : Math.min(Number(hyper.batch), Math.max(1, trainWindows));
  const totalSteps = !valid ? 0 : hyper.steps ?? (trainWindows > 0 ? hyper.epochs * Math.ceil(trainWindows / batch) : 0);
  return {
    errors,
    corpusError,
    vocabSize,
    parameterCount: valid && vocabSize > 0 ? parameterCount(hyper, vocabSize) : 0,
    memoryBytes: valid && vocabSize > 0 ? memoryEstimate(hyper, vocabSize, trainWindows) : 0,
    trainWindows,
    totalSteps,
  };
}

/** Throws the readable reason these hyperparameters cannot train on this text. */
export function requireTrainable(plan: TrainingPlan, corpusName: string): void {
  const fieldMessage = describeFieldErrors(plan.errors);
  if (fieldMessage) throw new ApiError(fieldMessage);
  if (plan.corpusError) throw new ApiError(`Corpus "${corpusName}": ${plan.corpusError}`);
}

/** Checkpoint sample settings: given values, else 200 chars at 0.8 from the corpus's first characters. */
export function sampleSettings(corpusText: string, given: { prompt?: string; length?: number; temperature?: number } = {}): SampleSettings {
  const length = given.length ?? DEFAULT_SAMPLE.length;
  const temperature = given.temperature ?? DEFAULT_SAMPLE.temperature;
  if (!Number.isInteger(length) || length < 1 || length > 10_000) throw new ApiError(`The sample length must be a whole number from 1 to 10000 (got ${length}).`);
  if (!Number.isFinite(temperature) || temperature <= 0 || temperature > 10) throw new ApiError(`The sample temperature must be above 0 and at most 10 (got ${temperature}).`);
  const prompt = given.prompt ?? Array.from(corpusText).slice(0, DEFAULT_SAMPLE.promptChars).join('');
  if (prompt.length === 0) throw new ApiError('The sample prompt is empty.');
  const known = new Set(Array.from(corpusText));
  const unknown = [...new Set(Array.from(prompt))].filter((c) => !known.has(c));
  if (unknown.length > 0) throw new ApiError(`The sample prompt has characters the corpus lacks: ${unknown.map((c) => JSON.stringify(c)).join(', ')}.`);
  return { prompt, length, temperature };
}

export function reproductionOf(hyper: Hyperparameters, corpusSha256: string | null, threads = hyper.threads): RunReproduction {
  return { appVersion: APP_VERSION, kernelPath: null, threads, corpusSha256, seed: hyper.seed, hyper };
}

/** Every combination of a sweep grid, in order (the last field varies fastest). */
export function expandGrid(grid: Partial<Record<keyof Hyperparameters, (number | string)[]>>): Partial<Hyperparameters>[] {
  const entries = Object.entries(grid).filter(([, values]) => values !== undefined) as [keyof Hyperparameters, (number | string)[]][];
  if (entries.length === 0) throw new ApiError('A sweep needs at least one field with values.');
  for (const [field, values] of entries) {
    if (!(field in DEFAULT_HYPERPARAMETERS)) throw new ApiError(`Unknown hyperparameter "${field}" in the sweep grid.`);
    if (!Array.isArray(values) || values.length === 0) throw new ApiError(`The sweep field "${field}" needs at least one value.`);
  }
  let combos: Partial<Hyperparameters>[] = [{}];
  for (const [field, values] of entries) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [field]: value })));
  }
  if (combos.length > 256) throw new ApiError(`This sweep would create ${combos.length} runs; at most 256 at a time.`);
  return combos;
}
