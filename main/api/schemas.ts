/**
 * Runtime schemas for the arguments of every WorkbenchApi method. Each transport (Electron IPC,
 * WebSocket, the CLI) passes what it received through `validateCall` before the service sees it, so a
 * malformed payload is refused with one readable line naming the field, and nothing is changed.
 *
 * The schemas check shapes and types only. Whether a value makes sense (a hidden size of 0, a learning
 * rate of NaN) is the service's question: `validateHyperparameters` answers it in words for the form.
 */
import * as z from 'zod';
import { API_METHODS, ApiError, type ApiMethod } from './contract.ts';
import { OBJECTIVES, PRESETS, type Hyperparameters } from '../../engine/config.ts';
import { HYPERPARAMETER_KEYS, fieldSpec, type FieldSpec } from '../../engine/fields.ts';

// ------------------------------------------------------------------ building blocks
const id = z.number().int().min(0);
const bytes = z.instanceof(Uint8Array, { message: 'expected bytes (Uint8Array)' });
const presetName = z.enum(Object.keys(PRESETS) as [string, ...string[]]);
/** Any number, NaN included: the range check (and its readable message) belongs to validateHyperparameters. */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const count = z.number().int().min(0);

/** C0 controls, DEL and C1 controls: a newline, a tab, the escape that starts a terminal sequence. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/u;
/**
 * A name a person gives a run or a corpus. Names are printed in tables, logs and terminals, where a
 * newline forges a line and an escape sequence rewrites the screen, so control characters are refused.
 */
const displayName = z.string().superRefine((value, context) => {
  const found = CONTROL_CHARACTER.exec(value);
  if (!found) return;
  const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  context.addIssue({
    code: 'custom',
    message: `must not contain control characters such as a line break, a tab or an escape (found U+${code} at character ${[...value.slice(0, found.index)].length + 1})`,
  });
});

/** A field's value by its kind in the table: its shape only, the range is validateHyperparameters' to check. */
function fieldSchema(spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case 'choice': return z.enum(spec.choices as [string, ...string[]]);
    case 'batch': return z.union([z.literal('full'), anyNumber]);
    case 'int': return spec.nullable ? z.union([anyNumber, z.null()]) : anyNumber;
    case 'number': return anyNumber;
    case 'text': return z.string();
  }
}

/** One schema per hyperparameter, built from the table (engine/fields.ts). */
export const HYPERPARAMETER_SCHEMAS = Object.fromEntries(
  HYPERPARAMETER_KEYS.map((key) => [key, fieldSchema(fieldSpec(key))]),
) as Record<keyof Hyperparameters, z.ZodType>;

// A typo in a field name is refused rather than silently ignored.
const partialHyper = z.strictObject(HYPERPARAMETER_SCHEMAS).partial();
const hyperField = z.enum(HYPERPARAMETER_KEYS as [keyof Hyperparameters, ...(keyof Hyperparameters)[]]);

const sampleSettings = z.strictObject({
  prompt: z.string().optional(),
  length: count.optional(),
  temperature: z.number().optional(),
});

const createRunInput = z.strictObject({
  corpusId: id,
  name: displayName.optional(),
  preset: presetName.optional(),
  hyper: partialHyper.optional(),
  sample: sampleSettings.optional(),
});

const sweepInput = z.strictObject({
  corpusId: id,
  name: displayName.optional(),
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

const objective = z.enum(OBJECTIVES as [string, ...string[]]);

// ------------------------------------------------------------------ inspect
const position = z.number().int().min(0);
const range = { start: position.optional(), end: position.optional() };
const inspectSource = z.union([
  z.strictObject({ kind: z.literal('validation'), start: position.optional(), length: z.number().int().min(1).optional() }),
  z.strictObject({ kind: z.literal('corpus'), corpusId: id, start: position.optional(), length: z.number().int().min(1).optional() }),
  z.strictObject({ kind: z.literal('text'), text: z.string() }),
]);
const inspectInput = z.strictObject({ checkpointId: id, source: inspectSource.optional() });
const resultId = z.string().min(1, 'must not be empty');
/** A folder on the host's disk (the service checks what it is). */
const hostPath = z.string().trim().min(1, 'must name a folder').max(4096);
/** A file of a project folder sent as bytes: '/'-separated plain names inside the folder, never up or out of it. */
const PROJECT_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MAX_PROJECT_FILES = 2000;
const MAX_PROJECT_BYTES = 256 * 1024 * 1024; // a WebSocket frame carries ~384 MiB once base64-encoded
const projectFilePath = z.string().max(1024).refine(
  (p) => p.split('/').length <= 4 && p.split('/').every((part) => PROJECT_FILE_NAME.test(part)),
  { message: 'must be a path inside the project folder made of plain names (no "..", no leading "/")' },
);
const projectFiles = z.array(z.strictObject({ path: projectFilePath, bytes }))
  .min(1, 'must hold at least one file')
  .max(MAX_PROJECT_FILES, `must hold at most ${MAX_PROJECT_FILES} files`)
  .refine((files) => files.reduce((sum, f) => sum + f.bytes.length, 0) <= MAX_PROJECT_BYTES, { message: `must hold at most ${MAX_PROJECT_BYTES / 1024 / 1024} MiB in all` })
  .refine((files) => new Set(files.map((f) => f.path)).size === files.length, { message: 'names a file twice' });
const unitRef = z.strictObject({ layer: z.number().int().min(0), kind: z.string().min(1), unit: z.number().int().min(0) });
const rankMeasure = z.enum(['auc', 'correlation']);

/** One entry per argument, in order: [name used in messages, schema]. */
type ArgList = readonly (readonly [string, z.ZodType])[];

const ARGUMENTS: Record<ApiMethod, ArgList> = {
  listCorpora: [],
  getCorpus: [['id', id]],
  addCorpus: [['input', z.strictObject({
    name: displayName,
    text: z.string().optional(),
    bytes: bytes.optional(),
    source: z.string().optional(),
    normalize: z.boolean().optional(),
  }).refine((v) => v.text !== undefined || v.bytes !== undefined, { message: 'needs either text or bytes' })]],
  updateCorpus: [['id', id], ['patch', z.strictObject({ name: displayName.optional(), text: z.string().optional() })]],
  corpusStats: [['id', id], ['window', z.number().int().min(1)], ['objective', objective.optional()]],
  corpusDeleteImpact: [['id', id]],
  deleteCorpus: [['id', id], ['options', z.strictObject({ cascade: z.boolean().optional(), force: z.boolean().optional() }).optional()]],
  startCorpusUpload: [['input', z.strictObject({
    name: displayName,
    bytes: z.number().int().min(0),
    source: z.string().optional(),
    normalize: z.boolean().optional(),
  })]],
  corpusUploadPiece: [['uploadId', z.string().min(1, 'must not be empty')], ['bytes', bytes]],
  finishCorpusUpload: [['uploadId', z.string().min(1, 'must not be empty')]],

  presets: [],
  checkHyperparameters: [['input', z.strictObject({
    corpusId: id.optional(),
    preset: presetName.optional(),
    hyper: partialHyper.optional(),
  })]],
  calibrateSpeed: [['input', z.strictObject({
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
    name: displayName.optional(),
    engine: HYPERPARAMETER_SCHEMAS.engine.optional(),
    device: HYPERPARAMETER_SCHEMAS.device.optional(),
  })]],
  renameRun: [['id', id], ['name', displayName]],
  runDeleteImpact: [['id', id]],
  deleteRun: [['id', id], ['options', z.strictObject({ force: z.boolean().optional() }).optional()]],
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

  importCheckpoint: [['input', z.strictObject({ name: displayName.optional(), bytes, vocab: vocabularySource.optional() })]],
  exportCheckpoint: [['input', z.strictObject({ checkpointId: id, withOptimizer: z.boolean().optional() })]],
  exportProject: [['input', z.strictObject({
    runId: id, dir: hostPath, steps: z.number().int().min(1).optional(), force: z.boolean().optional(),
  })]],
  importRun: [['input', z.strictObject({ dir: hostPath })]],
  importRunFiles: [['input', z.strictObject({ files: projectFiles })]],

  storageInfo: [],
  vacuum: [],
  listTrash: [],
  restoreTrash: [['id', id]],
  emptyTrash: [],
  describeEngines: [],
  setPythonPath: [['path', z.string().max(4096).nullable()]],

  listSampleCorpora: [],
  addSampleCorpus: [['sampleId', z.string().min(1, 'must not be empty')]],

  estimateInspect: [['input', inspectInput]],
  startInspect: [['input', inspectInput]],
  startNgram: [['input', z.strictObject({ runId: id, maxOrder: z.number().int().min(1).max(12).optional(), source: inspectSource.optional() })]],
  inspectStatus: [['jobId', id]],
  cancelInspect: [['jobId', id]],
  inspectSummary: [['traceId', resultId]],
  inspectUnit: [['input', z.strictObject({ traceId: resultId, unit: unitRef, ...range })]],
  inspectPosition: [['input', z.strictObject({ traceId: resultId, position })]],
  inspectLoss: [['input', z.strictObject({ traceId: resultId, ...range })]],
  inspectClasses: [['traceId', resultId]],
  inspectCompareLoss: [['input', z.strictObject({ traceId: resultId, otherTraceId: resultId, ...range })]],
  inspectFindUnits: [['input', z.strictObject({
    traceId: resultId,
    pattern: z.string(),
    top: z.number().int().min(1).optional(),
    measure: rankMeasure.optional(),
    kinds: z.array(z.string()).optional(),
    layers: z.array(z.number().int().min(0)).optional(),
  })]],
  inspectSelection: [['input', z.strictObject({
    traceId: resultId,
    start: position,
    end: position,
    threshold: z.number(),
    margin: z.number().int().min(0).optional(),
    kind: z.string().optional(),
    layer: z.number().int().min(0).optional(),
    minLength: z.number().int().min(1).optional(),
    limit: z.number().int().min(0).optional(),
  })]],
  inspectSaturation: [['traceId', resultId]],
  inspectNgram: [['ngramId', resultId]],
  inspectNgramLoss: [['input', z.strictObject({ ngramId: resultId, n: z.number().int().min(1).optional(), ...range })]],
  inspectCsv: [['input', z.strictObject({
    traceId: resultId,
    what: z.enum(['ranking', 'positions']),
    pattern: z.string().optional(),
    measure: rankMeasure.optional(),
    top: z.number().int().min(1).optional(),
    units: z.array(unitRef).optional(),
    ...range,
  })]],
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
