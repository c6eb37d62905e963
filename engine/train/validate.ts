/**
 * Checking a training job before any work starts: the start message's shape, the hyperparameters
 * (through config.ts's `validateHyperparameters`, the one place that says what is allowed) and the
 * corpus length. Every problem becomes a `TrainingError` whose message a person can act on; the
 * worker posts it as it is, never a stack trace.
 */
import { describeFieldErrors, validateAgainstCorpus, validateHyperparameters, type Hyperparameters } from '../config.ts';
import { HYPERPARAMETER_KEYS, isHyperparameterKey, sampleLengthProblem, sampleTemperatureProblem } from '../fields.ts';
import type { StartMessage } from '../protocol.ts';
import { countCodePoints, validateUtf8 } from '../text/utf8.ts';

/** A readable reason a run cannot start or had to stop; `step` is set when it happened mid-run. */
export class TrainingError extends Error {
  readonly step: number | null;

  constructor(message: string, step: number | null = null) {
    super(message);
    this.name = 'TrainingError';
    this.step = step;
  }
}

/** The job a training run needs: the start message without its `type` tag. */
export type TrainJob = Omit<StartMessage, 'type'> & { type?: 'start' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The job as a well-formed `TrainJob`, or a `TrainingError` listing what is wrong.
 * Checks shapes only where the type system cannot (messages arrive from another process).
 */
export function validateJob(raw: unknown): TrainJob {
  if (!isRecord(raw)) throw new TrainingError('The start message must be an object with hyperparameters and a corpus.');
  if (raw.type !== undefined && raw.type !== 'start') throw new TrainingError(`Expected a "start" message (got type ${JSON.stringify(raw.type)}).`);
  if (!isRecord(raw.hyper)) throw new TrainingError('The start message has no hyperparameters ("hyper" must be an object).');
  if (raw.corpusBytes !== undefined) {
    if (!(raw.corpusBytes instanceof Uint8Array)) throw new TrainingError('"corpusBytes" must be the UTF-8 bytes of the corpus (a Uint8Array).');
    if (raw.corpusText !== undefined) throw new TrainingError('The start message has the corpus twice; give "corpusText" or "corpusBytes", not both.');
    validateUtf8(raw.corpusBytes);
  } else if (typeof raw.corpusText !== 'string') {
    throw new TrainingError('The start message has no corpus ("corpusText" must be a string).');
  }

  const unknownKeys = Object.keys(raw.hyper).filter((k) => !isHyperparameterKey(k));
  if (unknownKeys.length > 0) throw new TrainingError(`Unknown hyperparameter${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}.`);
  const missing = HYPERPARAMETER_KEYS.filter((k) => !(k in (raw.hyper as object)));
  if (missing.length > 0) throw new TrainingError(`Missing hyperparameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`);
  const hyper = raw.hyper as unknown as Hyperparameters;
  const fieldErrors = describeFieldErrors(validateHyperparameters(hyper));
  if (fieldErrors) throw new TrainingError(fieldErrors);

  if (raw.vocab !== undefined && (!Array.isArray(raw.vocab) || raw.vocab.some((c) => typeof c !== 'string'))) {
    throw new TrainingError('"vocab" must be a list of characters.');
  }
  if (raw.resumeFrom !== undefined && !(raw.resumeFrom instanceof Uint8Array)) {
    throw new TrainingError('"resumeFrom" must be the bytes of a checkpoint (a Uint8Array).');
  }
  if (raw.targetSteps !== undefined && (!Number.isInteger(raw.targetSteps) || (raw.targetSteps as number) < 1)) {
    throw new TrainingError(`Target steps must be a whole number of at least 1 (got ${String(raw.targetSteps)}).`);
  }
  if (raw.progressEvery !== undefined && (!Number.isInteger(raw.progressEvery) || (raw.progressEvery as number) < 1)) {
    throw new TrainingError(`Progress interval must be a whole number of at least 1 (got ${String(raw.progressEvery)}).`);
  }
  if (raw.sample !== undefined) {
    const s = raw.sample;
    if (!isRecord(s) || typeof s.prompt !== 'string') throw new TrainingError('Sample settings need a prompt (a string).');
    const problem = sampleLengthProblem(s.length) ?? sampleTemperatureProblem(s.temperature);
    if (problem) throw new TrainingError(problem);
  }
  const length = raw.corpusBytes instanceof Uint8Array ? countCodePoints(raw.corpusBytes) : codePointLength(raw.corpusText as string);
  const problem = validateAgainstCorpus(hyper, length);
  if (problem) throw new TrainingError(problem);
  return raw as unknown as TrainJob;
}

/** Length in characters (code points), as the vocabulary counts them. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** An unexpected exception as a one-line message (no stack): our own errors keep their text. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
