/**
 * Storing new runs: a fresh run from a corpus and hyperparameters, the runs of a sweep, and a run
 * that continues another from one of its checkpoints. Everything is checked first, so a refused
 * request stores nothing; what is stored is 'queued' for the run manager.
 */
import { describeFieldErrors, validateHyperparameters, type Hyperparameters, type PresetName } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { ApiError, type ContinueRunInput, type CreateRunInput, type Id, type SweepInput } from '../api/contract.ts';
import type { RunRecord, Storage } from '../storage/index.ts';
import { leadingChars } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { DEFAULT_SAMPLE, expandGrid, planTraining, reproductionOf, requireTrainable, resolveHyperparameters, sampleSettings } from './plan.ts';

interface RunSpec {
  corpusId: Id;
  name?: string;
  preset?: PresetName;
  hyper?: Partial<Hyperparameters>;
  sample?: CreateRunInput['sample'];
  sweepId?: Id | null;
}

interface CheckedRun {
  name: string | undefined;
  defaultName: string;
  corpusId: Id;
  corpusSha256: string;
  vocabChars: string[];
  hyper: Hyperparameters;
  totalSteps: number;
  sample: ReturnType<typeof sampleSettings>;
}

function checkRun(storage: Storage, spec: RunSpec): CheckedRun {
  const corpus = storage.corpora.get(spec.corpusId);
  if (!corpus) throw new ApiError(`No corpus with id ${spec.corpusId}.`, 'not-found');
  const hyper = resolveHyperparameters(spec.preset, spec.hyper);
  const plan = planTraining(hyper, corpus);
  requireTrainable(plan, corpus.name);
  // The bytes, not the text: a big corpus is read where it is, never decoded whole.
  const bytes = storage.corpora.bytes(corpus.id)!;
  const vocabChars = Vocabulary.fromUtf8(bytes).chars;
  const sample = sampleSettings({ start: leadingChars(bytes, DEFAULT_SAMPLE.promptChars), vocab: vocabChars }, spec.sample);
  // "notes.txt" names runs "notes-lstm128": the file extension says nothing about the run.
  const defaultName = `${safeName(corpus.name.replace(/\.txt$/i, ''))}-${hyper.cell}${hyper.hidden}`;
  return { name: spec.name, defaultName, corpusId: corpus.id, corpusSha256: corpus.sha256, vocabChars, hyper, totalSteps: plan.totalSteps, sample };
}

function insert(storage: Storage, checked: CheckedRun, extra: { sweepId?: Id | null; parentRunId?: Id | null } = {}): RunRecord {
  const vocabulary = storage.vocabularies.getOrCreate(checked.vocabChars);
  return storage.runs.create({
    name: checked.name ?? storage.runs.uniqueName(checked.defaultName),
    corpusId: checked.corpusId,
    vocabularyId: vocabulary.id,
    hyper: checked.hyper,
    reproduction: reproductionOf(checked.hyper, checked.corpusSha256),
    sample: checked.sample,
    totalSteps: checked.totalSteps,
    status: 'queued',
    sweepId: extra.sweepId ?? null,
    parentRunId: extra.parentRunId ?? null,
  });
}

/** Checks and stores one queued run. */
export function createQueuedRun(storage: Storage, input: CreateRunInput): RunRecord {
  const checked = checkRun(storage, input);
  return storage.transaction(() => insert(storage, checked));
}

/** Checks every combination first, then stores the sweep and its runs in one transaction. */
export function createSweepRuns(storage: Storage, input: SweepInput): { sweepId: Id; runs: RunRecord[] } {
  const combos = expandGrid(input.grid);
  const base = input.name?.trim() || undefined;
  const checked = combos.map((combo, i) => {
    try {
      const run = checkRun(storage, { ...input, name: undefined, hyper: { ...input.base, ...combo } });
      const label = Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(',');
      return { ...run, defaultName: `${base ?? run.defaultName}-${safeName(label)}` };
    } catch (error) {
      const label = Object.entries(combo).map(([k, v]) => `${k} = ${v}`).join(', ');
      throw new ApiError(`Sweep combination ${i + 1} (${label}): ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return storage.transaction(() => {
    const sweep = storage.sweeps.create(input.grid as Record<string, (number | string)[]>);
    return { sweepId: sweep.id, runs: checked.map((run) => insert(storage, run, { sweepId: sweep.id })) };
  });
}

/**
 * A new run, linked to its parent, that starts from one of the parent's checkpoints and trains on to
 * `steps` (default the parent's length), keeping the step numbering. The checkpoint is copied into the
 * new run as its first one, so it resumes from it even if the parent is deleted meanwhile.
 */
export function createContinuation(storage: Storage, input: ContinueRunInput): RunRecord {
  const parent = storage.runs.get(input.runId);
  if (!parent) throw new ApiError(`No run with id ${input.runId}.`, 'not-found');
  const checkpoint = input.checkpointId === undefined ? storage.checkpoints.latest(parent.id) : storage.checkpoints.get(input.checkpointId);
  if (!checkpoint) {
    throw new ApiError(input.checkpointId === undefined
      ? `Run "${parent.name}" has no checkpoint to continue from.`
      : `No checkpoint with id ${input.checkpointId}.`, 'not-found');
  }
  if (checkpoint.runId !== parent.id) throw new ApiError(`Checkpoint #${checkpoint.id} belongs to run "${checkpoint.runName}", not "${parent.name}".`);
  if (parent.corpusId === null) throw new ApiError(`Run "${parent.name}" has no corpus (it was imported), so it cannot train on.`);
  const corpus = storage.corpora.get(parent.corpusId)!;
  const bytes = storage.checkpoints.bytes(checkpoint.id)!;
  let decoded;
  try {
    decoded = decodeCheckpoint(bytes);
  } catch (error) {
    throw new ApiError(`Checkpoint #${checkpoint.id} of run "${parent.name}" cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!decoded.optimizer) throw new ApiError(`Checkpoint #${checkpoint.id} has no optimizer state, so training cannot continue exactly from it.`);
  const target = input.steps ?? parent.totalSteps;
  if (!Number.isInteger(target) || target <= checkpoint.step) {
    throw new ApiError(`The checkpoint is at step ${checkpoint.step}; continuing needs a total above that (got ${target}).`);
  }
  const hyper = continuationHyper(parent.hyper, input);
  const name = input.name ?? storage.runs.uniqueName(`${parent.name}-cont`);
  const vocabulary = storage.vocabularies.getOrCreate(decoded.vocab);
  return storage.transaction(() => {
    const run = storage.runs.create({
      name,
      corpusId: parent.corpusId,
      vocabularyId: vocabulary.id,
      hyper,
      // The parent's engine record up to the checkpoint this continues from.
      reproduction: {
        ...parent.reproduction, corpusSha256: corpus.sha256, hyper,
        segments: (parent.reproduction.segments ?? []).filter((segment) => segment.fromStep < checkpoint.step),
      },
      sample: parent.sample,
      totalSteps: target,
      status: 'queued',
      parentRunId: parent.id,
      sweepId: null,
    });
    storage.checkpoints.add({
      runId: run.id, step: checkpoint.step, kind: 'periodic', valLoss: checkpoint.valLoss, trainLoss: checkpoint.trainLoss, bytes,
    });
    storage.runs.setStep(run.id, checkpoint.step);
    return storage.runs.require(run.id);
  });
}

/**
 * The parent's hyperparameters on the engine asked for: a change of engine starts from device auto
 * unless a device is given; the built-in engine refuses any device but auto (the field table's rule).
 */
function continuationHyper(parent: Hyperparameters, input: ContinueRunInput): Hyperparameters {
  const engine = input.engine ?? parent.engine;
  const device = input.device ?? (engine === parent.engine ? parent.device : 'auto');
  const hyper = { ...parent, engine, device };
  const problem = describeFieldErrors(validateHyperparameters(hyper));
  if (problem) throw new ApiError(problem);
  return hyper;
}

/** A corpus name made usable inside a run name (no '@', no leading '#', not only digits). */
function safeName(text: string): string {
  const cleaned = text.replace(/@/g, '_').replace(/^#+/, '').replace(/\s+/g, '-').slice(0, 60);
  return cleaned === '' || /^\d+$/.test(cleaned) ? `run-${cleaned}` : cleaned;
}
