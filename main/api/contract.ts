/**
 * WorkbenchApi — everything the UI and the CLI can ask of the workbench, in one place.
 * Three transports carry it unchanged: the Electron preload (IPC), the browser host (WebSocket) and
 * the CLI (in-process). Every method is async and may reject with an `ApiError` whose message is
 * meant for a person. Events are subscriptions: `onX(cb)` returns an unsubscribe function.
 * Bytes (checkpoint files) travel as Uint8Array; the WebSocket transport encodes them itself.
 */
import type { CheckpointKind, ProgressMetrics } from '../../engine/protocol.ts';
import type { FieldErrors, Hyperparameters, PresetName } from '../../engine/config.ts';
import type { KernelPath } from '../../engine/kernels/types.ts';

export type Id = number;

// ---------------------------------------------------------------- corpora
export interface CorpusSummary {
  id: Id;
  name: string;
  sha256: string;
  /** Where it came from: a file path, 'paste', 'drop', 'edit'. */
  source: string;
  /** Length in code points. */
  chars: number;
  distinct: number;
  bytes: number;
  createdAt: string;
  /** Runs that train on this corpus. */
  runCount: number;
  /** Set by addCorpus when this exact text was already stored (under this corpus's name); nothing new was added. */
  existing?: boolean;
}
export interface CorpusDetail extends CorpusSummary {
  text: string;
}
export interface CorpusStats {
  chars: number;
  distinct: number;
  /** Every distinct character with its count, most frequent first. */
  frequencies: { char: string; count: number }[];
  /** Characters that occur exactly once (a model can hardly learn them). */
  singletons: string[];
  /** Training windows for the given window size and objective ('next': chars − window). */
  windows: number;
  hasBom: boolean;
  crlf: number;
}
export interface AddCorpusInput {
  name: string;
  /** The text, or the raw file bytes (decoded as byte-exact UTF-8; invalid UTF-8 is an error naming the offset). */
  text?: string;
  bytes?: Uint8Array;
  source?: string;
  /** Strip a BOM and turn CRLF into LF (default: keep the text exactly as given). */
  normalize?: boolean;
}

// ---------------------------------------------------------------- runs
export type RunStatus = 'queued' | 'running' | 'paused' | 'done' | 'stopped' | 'failed' | 'interrupted';

export interface RunSummary {
  id: Id;
  name: string;
  corpusId: Id | null;
  corpusName: string | null;
  status: RunStatus;
  /** Why a run failed, stopped early or was interrupted. */
  reason: string | null;
  parentRunId: Id | null;
  sweepId: Id | null;
  hyper: Hyperparameters;
  vocabSize: number;
  parameterCount: number;
  step: number;
  totalSteps: number;
  lastTrainLoss: number | null;
  lastValLoss: number | null;
  bestValLoss: number | null;
  charsPerSec: number | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}
export interface RunReproduction {
  appVersion: string;
  kernelPath: KernelPath | null;
  threads: number;
  corpusSha256: string | null;
  seed: number;
  hyper: Hyperparameters;
}
export interface RunDetail extends RunSummary {
  reproduction: RunReproduction;
  /** The characters the run's model knows, in vocabulary order (for marking unknown characters in a prompt). */
  vocab: string[];
  checkpoints: CheckpointSummary[];
  latestSample: SampleRecord | null;
}
export interface CreateRunInput {
  corpusId: Id;
  name?: string;
  /** Missing fields come from the preset (or the defaults). */
  preset?: PresetName;
  hyper?: Partial<Hyperparameters>;
  /** Sample settings for checkpoints (defaults: 200 chars, temperature 0.8, prompt from the corpus start). */
  sample?: { prompt?: string; length?: number; temperature?: number };
}
export interface SweepInput extends Omit<CreateRunInput, 'hyper'> {
  base?: Partial<Hyperparameters>;
  /** Each listed field takes every listed value; the grid is their product. */
  grid: Partial<Record<keyof Hyperparameters, (number | string)[]>>;
}
export interface ContinueRunInput {
  runId: Id;
  /** Checkpoint to continue from; default the run's latest. */
  checkpointId?: Id;
  /** Total step count to reach; default the original's. */
  steps?: number;
  name?: string;
}

export interface MetricPoint extends Omit<ProgressMetrics, 'totalSteps'> {
  wallTime: string;
}
export interface CheckpointSummary {
  id: Id;
  runId: Id;
  runName: string;
  step: number;
  kind: CheckpointKind | 'imported';
  valLoss: number | null;
  trainLoss: number | null;
  bytes: number;
  createdAt: string;
}
export interface SampleRecord {
  id: Id;
  checkpointId: Id;
  step: number;
  prompt: string;
  temperature: number;
  length: number;
  text: string;
  createdAt: string;
}

/** A curve downsampled for charts: per bucket the min and max are kept so spikes survive. */
export interface Curve {
  runId: Id;
  step: number[];
  trainLoss: (number | null)[];
  valLoss: (number | null)[];
}

// ---------------------------------------------------------------- compare
export interface CompareInput {
  runIds?: Id[];
  checkpointIds?: Id[];
  /** Generate from this prompt with every compared checkpoint. */
  prompt?: string;
  sampleLength?: number;
  maxPoints?: number;
}
export interface CompareColumn {
  runId: Id;
  runName: string;
  checkpointId: Id | null;
  step: number | null;
}
export interface CompareRow {
  field: string;
  values: (string | number | null)[];
  differs: boolean;
  /** For metric rows: the columns holding the best value (lowest loss, highest accuracy; every one of a tie); empty for hyperparameters. */
  best: number[];
}
export interface CompareResult {
  columns: CompareColumn[];
  hyperparameters: CompareRow[];
  metrics: CompareRow[];
  curves: Curve[];
  samples: { prompt: string; texts: (string | null)[]; errors: (string | null)[] };
}

// ---------------------------------------------------------------- playground
export interface PredictResult {
  checkpointId: Id;
  text: string;
  top: { char: string; p: number }[];
  /** e.g. "The text is shorter than the model's 10-character window; it reads all 4." */
  note?: string;
}
export interface GenerateInput {
  checkpointId: Id;
  /** Text to start from; '' means the run's sample prompt (the start of its corpus), cut to what the model knows. */
  prime: string;
  length: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}
export interface TraceResult {
  checkpointId: Id;
  cell: 'lstm' | 'gru' | 'rnn';
  chars: string[];
  /** Per layer: gate name → (chars × H) activations. LSTM i,f,g,o,c,h; GRU r,z,n,h; RNN h. */
  layers: { gates: Record<string, number[][]> }[];
  note?: string;
}
export interface EvaluateResult {
  checkpointId: Id;
  loss: number;
  bitsPerChar: number;
  accuracy: number;
  windows: number;
}
export type VocabularySource = { corpusId: Id } | { chars: string[] } | { text: string };
export interface ImportInput {
  name?: string;
  bytes: Uint8Array;
  /** Needed when the file carries no vocabulary in its metadata. */
  vocab?: VocabularySource;
}

// ---------------------------------------------------------------- storage
export interface StorageInfo {
  path: string;
  bytes: number;
  tables: { name: string; rows: number; bytes: number | null }[];
}
/** What deleting a thing would also delete, for a confirmation that names it. */
export interface DeleteImpact {
  runs: { id: Id; name: string }[];
  checkpoints: number;
  samples: number;
  metrics: number;
}

// ---------------------------------------------------------------- events
export type RunEvent =
  | { type: 'progress'; runId: Id; metric: ProgressMetrics }
  | { type: 'status'; runId: Id; status: RunStatus; reason: string | null }
  | { type: 'checkpoint'; runId: Id; checkpoint: CheckpointSummary }
  | { type: 'sample'; runId: Id; sample: SampleRecord }
  | { type: 'created'; runId: Id }
  | { type: 'deleted'; runId: Id };

export interface HyperparameterCheck {
  hyper: Hyperparameters;
  errors: FieldErrors;
  /** A corpus-level problem (too short for a window, no room for validation). */
  corpusError: string | null;
  parameterCount: number;
  memoryBytes: number;
  trainWindows: number;
  totalSteps: number;
}

export interface WorkbenchApi {
  // corpora
  listCorpora(): Promise<CorpusSummary[]>;
  getCorpus(id: Id): Promise<CorpusDetail>;
  addCorpus(input: AddCorpusInput): Promise<CorpusSummary>;
  updateCorpus(id: Id, patch: { name?: string; text?: string }): Promise<CorpusSummary>;
  corpusStats(id: Id, window: number, objective?: 'next' | 'every'): Promise<CorpusStats>;
  corpusDeleteImpact(id: Id): Promise<DeleteImpact>;
  /** Refuses when runs use the corpus unless `cascade` (their runs go too). */
  deleteCorpus(id: Id, options?: { cascade?: boolean }): Promise<void>;

  // runs
  presets(): Promise<{ name: PresetName; label: string; hyper: Hyperparameters }[]>;
  checkHyperparameters(input: { corpusId?: Id; preset?: PresetName; hyper?: Partial<Hyperparameters> }): Promise<HyperparameterCheck>;
  listRuns(): Promise<RunSummary[]>;
  getRun(id: Id): Promise<RunDetail>;
  /** A run id, a unique run name, or a checkpoint reference RUN@STEP, RUN@best, RUN@final, #ID. */
  resolveRun(ref: string): Promise<RunSummary>;
  /** A bare RUN means its best checkpoint (lowest validation loss; without validation, the latest). */
  resolveCheckpoint(ref: string): Promise<CheckpointSummary>;
  createRun(input: CreateRunInput): Promise<RunSummary>;
  createSweep(input: SweepInput): Promise<{ sweepId: Id; runs: RunSummary[] }>;
  pauseRun(id: Id): Promise<void>;
  resumeRun(id: Id): Promise<void>;
  stopRun(id: Id): Promise<void>;
  continueRun(input: ContinueRunInput): Promise<RunSummary>;
  renameRun(id: Id, name: string): Promise<RunSummary>;
  runDeleteImpact(id: Id): Promise<DeleteImpact>;
  deleteRun(id: Id): Promise<void>;
  runMetrics(id: Id, options?: { maxPoints?: number }): Promise<MetricPoint[]>;
  listCheckpoints(runId: Id): Promise<CheckpointSummary[]>;
  deleteCheckpoint(id: Id): Promise<void>;
  listSamples(runId: Id): Promise<SampleRecord[]>;
  /** Concurrency limit of the run queue (default: the number of cores). */
  getConcurrency(): Promise<number>;
  setConcurrency(limit: number): Promise<void>;

  // compare
  compare(input: CompareInput): Promise<CompareResult>;
  compareCsv(input: CompareInput): Promise<{ table: string; curves: string }>;

  // playground
  predict(input: { checkpointId: Id; text: string; k?: number }): Promise<PredictResult>;
  /** `prime` in the answer is the text generation started from (the default one when '' was given). */
  generate(input: GenerateInput): Promise<{ checkpointId: Id; text: string; prime?: string }>;
  trace(input: { checkpointId: Id; text: string }): Promise<TraceResult>;
  evaluate(input: { checkpointId: Id; corpusId?: Id; text?: string }): Promise<EvaluateResult>;

  // import / export
  importCheckpoint(input: ImportInput): Promise<RunSummary>;
  exportCheckpoint(input: { checkpointId: Id; withOptimizer?: boolean }): Promise<{ fileName: string; bytes: Uint8Array }>;

  // storage
  storageInfo(): Promise<StorageInfo>;
  vacuum(): Promise<StorageInfo>;

  // events
  onRunEvent(callback: (event: RunEvent) => void): () => void;
}

/** Method names, for transports that route by name (IPC channels, WebSocket calls). */
export const API_METHODS = [
  'listCorpora', 'getCorpus', 'addCorpus', 'updateCorpus', 'corpusStats', 'corpusDeleteImpact', 'deleteCorpus',
  'presets', 'checkHyperparameters', 'listRuns', 'getRun', 'resolveRun', 'resolveCheckpoint', 'createRun',
  'createSweep', 'pauseRun', 'resumeRun', 'stopRun', 'continueRun', 'renameRun', 'runDeleteImpact', 'deleteRun',
  'runMetrics', 'listCheckpoints', 'deleteCheckpoint', 'listSamples', 'getConcurrency', 'setConcurrency',
  'compare', 'compareCsv', 'predict', 'generate', 'trace', 'evaluate', 'importCheckpoint', 'exportCheckpoint',
  'storageInfo', 'vacuum',
] as const satisfies readonly Exclude<keyof WorkbenchApi, 'onRunEvent'>[];

export type ApiMethod = (typeof API_METHODS)[number];

/** An error meant for a person; `code` lets transports and the CLI map it (exit code 2 for bad input). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: 'bad-input' | 'not-found' | 'conflict' | 'engine' | 'internal' = 'bad-input',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// Compile-time check that API_METHODS lists every method.
type Unlisted = Exclude<Exclude<keyof WorkbenchApi, 'onRunEvent'>, ApiMethod>;
const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyMethodListed;
