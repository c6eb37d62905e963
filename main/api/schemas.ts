/**
 * Runtime schemas for the arguments of every WorkbenchApi method. Each transport (Electron IPC,
 * WebSocket, the CLI) passes what it received through `validateCall` before the service sees it, so a
 * malformed payload is refused with one readable line naming the field, and nothing is changed.
 *
 * The schemas check shapes and types only. Whether a value makes sense (a hidden size of 0, a learning
 * rate of NaN) is the service's question: `validateHyperparameters` answers it in words for the form.
 */
import { z } from 'zod';
import { API_METHODS, ApiError, type ApiMethod } from './contract.ts';
import { CELL_KINDS, DEFAULT_HYPERPARAMETERS, OBJECTIVES, OPTIMIZERS, SCHEDULES, type Hyperparameters } from '../../engine/config.ts';

// ------------------------------------------------------------------ building blocks
const id = z.number().int().min(0);
const bytes = z.instanceof(Uint8Array, { message: 'expected bytes (Uint8Array)' });
const presetName = z.enum(['reference', 'char-rnn-small', 'char-rnn-medium']);
/** Any number, NaN included: the range check (and its readable message) belongs to validateHyperparameters. */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const count = z.number().int().min(0);

const hyperShape = {
  cell: z.enum(CELL_KINDS as [string, ...string[]]),
  layers: anyNumber,
  hidden: anyNumber,
  embed: anyNumber,
  window: anyNumber,
  objective: z.enum(OBJECTIVES as [string, ...string[]]),
  batch: z.union([z.literal('full'), anyNumber]),
  epochs: anyNumber,
  steps: z.union([anyNumber, z.null()]),
  optimizer: z.enum(OPTIMIZERS as [string, ...string[]]),
  lr: anyNumber,
  momentum: anyNumber,
  weightDecay: anyNumber,
  schedule: z.enum(SCHEDULES as [string, ...string[]]),
  decayEvery: anyNumber,
  decayGamma: anyNumber,
  clip: anyNumber,
  dropout: anyNumber,
  valFraction: anyNumber,
  earlyStopPatience: anyNumber,
  evalEvery: anyNumber,
  seed: anyNumber,
  threads: anyNumber,
  checkpointEvery: anyNumber,
  keepLast: anyNumber,
  stride: anyNumber,
} satisfies Record<keyof Hyperparameters, z.ZodType>;

// A typo in a field name is refused rather than silently ignored.
const partialHyper = z.strictObject(hyperShape).partial();
const hyperField = z.enum(Object.keys(DEFAULT_HYPERPARAMETERS) as [keyof Hyperparameters, ...(keyof Hyperparameters)[]]);

const sampleSettings = z.strictObject({
  prompt: z.string().optional(),
  length: count.optional(),
  temperature: z.number().optional(),
});

const createRunInput = z.strictObject({
  corpusId: id,
  name: z.string().optional(),
  preset: presetName.optional(),
  hyper: partialHyper.optional(),
  sample: sampleSettings.optional(),
});

const sweepInput = z.strictObject({
  corpusId: id,
  name: z.string().optional(),
  preset: presetName.optional(),
  sample: sampleSettings.optional(),
  base: partialHyper.optional(),
  grid: z.partialRecord(hyperField, z.array(z.union([z.number(), z.string()])).min(1, 'needs at least one value')),
});

const compareInput = z.strictObject({
  runIds: z.array(id).optional(),
  checkpointIds: z.array(id).optional(),
  prompt: z.string().optional(),
  sampleLength: count.optional(),
  maxPoints: count.optional(),
});

const vocabularySource = z.union([
  z.strictObject({ corpusId: id }),
  z.strictObject({ chars: z.array(z.string()) }),
  z.strictObject({ text: z.string() }),
]);

const objective = z.enum(['next', 'every']);

/** One entry per argument, in order: [name used in messages, schema]. */
type ArgList = readonly (readonly [string, z.ZodType])[];

const ARGUMENTS: Record<ApiMethod, ArgList> = {
  listCorpora: [],
  getCorpus: [['id', id]],
  addCorpus: [['input', z.strictObject({
    name: z.string(),
    text: z.string().optional(),
    bytes: bytes.optional(),
    source: z.string().optional(),
    normalize: z.boolean().optional(),
  }).refine((v) => v.text !== undefined || v.bytes !== undefined, { message: 'needs either text or bytes' })]],
  updateCorpus: [['id', id], ['patch', z.strictObject({ name: z.string().optional(), text: z.string().optional() })]],
  corpusStats: [['id', id], ['window', z.number().int().min(1)], ['objective', objective.optional()]],
  corpusDeleteImpact: [['id', id]],
  deleteCorpus: [['id', id], ['options', z.strictObject({ cascade: z.boolean().optional() }).optional()]],

  presets: [],
  checkHyperparameters: [['input', z.strictObject({
    corpusId: id.optional(),
    preset: presetName.optional(),
    hyper: partialHyper.optional(),
  })]],
  listRuns: [],
  getRun: [['id', id]],
  resolveRun: [['ref', z.string().min(1, 'must not be empty')]],
  resolveCheckpoint: [['ref', z.string().min(1, 'must not be empty')]],
  createRun: [['input', createRunInput]],
  createSweep: [['input', sweepInput]],
  pauseRun: [['id', id]],
  resumeRun: [['id', id]],
  stopRun: [['id', id]],
  continueRun: [['input', z.strictObject({
    runId: id,
    checkpointId: id.optional(),
    steps: z.number().int().min(1).optional(),
    name: z.string().optional(),
  })]],
  renameRun: [['id', id], ['name', z.string()]],
  runDeleteImpact: [['id', id]],
  deleteRun: [['id', id]],
  runMetrics: [['id', id], ['options', z.strictObject({ maxPoints: count.optional() }).optional()]],
  listCheckpoints: [['runId', id]],
  deleteCheckpoint: [['id', id]],
  listSamples: [['runId', id]],
  getConcurrency: [],
  setConcurrency: [['limit', z.number().int().min(1)]],

  compare: [['input', compareInput]],
  compareCsv: [['input', compareInput]],

  predict: [['input', z.strictObject({ checkpointId: id, text: z.string(), k: z.number().int().min(1).optional() })]],
  generate: [['input', z.strictObject({
    checkpointId: id,
    prime: z.string(),
    length: z.number().int().min(0),
    temperature: z.number().optional(),
    topK: z.number().int().min(0).optional(),
    topP: z.number().optional(),
    seed: z.number().int().min(0).optional(),
  })]],
  trace: [['input', z.strictObject({ checkpointId: id, text: z.string() })]],
  evaluate: [['input', z.strictObject({ checkpointId: id, corpusId: id.optional(), text: z.string().optional() })]],

  importCheckpoint: [['input', z.strictObject({ name: z.string().optional(), bytes, vocab: vocabularySource.optional() })]],
  exportCheckpoint: [['input', z.strictObject({ checkpointId: id, withOptimizer: z.boolean().optional() })]],

  storageInfo: [],
  vacuum: [],
};

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/**
 * Checks a call received from outside (IPC, WebSocket, a command line) and returns its arguments as the
 * service should receive them. Throws ApiError('bad-input') with one line naming the method and field.
 */
export function validateCall(method: unknown, args: unknown): unknown[] {
  if (!isApiMethod(method)) {
    throw new ApiError(`Unknown method ${typeof method === 'string' ? JSON.stringify(method) : String(method)}.`, 'bad-input');
  }
  if (!Array.isArray(args)) throw new ApiError(`${method}: the arguments must be a list.`, 'bad-input');
  const spec = ARGUMENTS[method];
  // Trailing undefined arguments are fine (an optional argument not given); anything beyond is not.
  let given = args.length;
  while (given > spec.length && args[given - 1] === undefined) given--;
  if (given > spec.length) {
    throw new ApiError(`${method} takes at most ${spec.length} argument${spec.length === 1 ? '' : 's'} (got ${args.length}).`, 'bad-input');
  }
  return spec.map(([name, schema], i) => {
    const result = schema.safeParse(args[i]);
    if (result.success) return result.data;
    throw new ApiError(`${method}: ${describeIssue(name, result.error.issues[0])}`, 'bad-input');
  });
}

function describeIssue(argName: string, issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return `${argName} is not valid.`;
  const field = [argName, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${field} has an unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}.`;
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${field} is missing.`;
  return `${field}: ${issue.message}.`.replace(/\.\.$/, '.');
}
