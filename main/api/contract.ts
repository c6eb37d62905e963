/**
 * WorkbenchApi — everything the UI and the CLI can ask of the workbench, in one place.
 * Three transports carry it unchanged: the Electron preload (IPC), the browser host (WebSocket) and
 * the CLI (in-process). Every method is async and may reject with an `ApiError` whose message is
 * meant for a person. Events are subscriptions: `onX(cb)` returns an unsubscribe function.
 * Bytes (checkpoint files) travel as Uint8Array; the WebSocket transport encodes them itself.
 */
import type { CheckpointKind, EngineDevice, EngineKind, ProgressMetrics } from '../../engine/protocol.ts';
import type { FieldErrors, Hyperparameters, PresetName } from '../../engine/config.ts';
import type { KernelPath } from '../../engine/kernels/types.ts';
import type { RankedUnit, UnitRef } from '../../engine/inspect/rank.ts';
import type { SelectionQuery, SelectionResult } from '../../engine/inspect/selection.ts';
import { WorkbenchError, type ErrorCode } from '../errors.ts';

export type { RankedUnit, SelectionQuery, SelectionResult, UnitRef };

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
  /** Set when `text` is only the corpus's opening (a corpus too long to show whole); such a text is not for saving back. */
  truncated?: boolean;
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

/** A corpus bundled with the workbench (main/samples), for a first start without a file of one's own. */
export interface SampleCorpus {
  /** 'hello-rnn', 'tang300', 'kjv-genesis'. */
  id: string;
  /** The corpus name it is stored under. */
  name: string;
  description: string;
  /** Where the text comes from and why it may be shipped, one line each. */
  source: string;
  licence: string;
  chars: number;
  bytes: number;
  /** The stored corpus holding exactly this text, if there is one. */
  corpusId: Id | null;
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
  /** Who trained which steps (the reproduction record's segments), for the run card. */
  engineSegments?: EngineSegment[];
}
export interface RunReproduction {
  appVersion: string;
  kernelPath: KernelPath | null;
  threads: number;
  corpusSha256: string | null;
  seed: number;
  hyper: Hyperparameters;
  /** Who trained which steps, oldest first (a continued run starts with its parent's); absent in runs stored before engines were recorded. */
  segments?: EngineSegment[];
}
/** One stretch of a run's training on one engine, from an engine's `ready`. */
export interface EngineSegment {
  /** The step it started from (0, or the checkpoint it resumed). */
  fromStep: number;
  engine: EngineKind;
  /** "cpu" for the built-in engine; the PyTorch engine's own words ("cuda:0 (NVIDIA H200, 139.8 GiB)"). */
  device: string;
  kernelPath: KernelPath | null;
  threads: number;
  torchVersion?: string;
  /** PyTorch engine: processes in all (torchrun's world size), on how many nodes, and rank 0's host. */
  worldSize?: number;
  nodes?: number;
  host?: string;
}

/** Where a PyTorch segment ran: "2 processes on 2 nodes, rank 0 on gpu-box"; null when the engine did not say. */
export function segmentPlacement(segment: Pick<EngineSegment, 'worldSize' | 'nodes' | 'host'>): string | null {
  if (segment.worldSize === undefined) return null;
  const nodes = segment.nodes ?? 1;
  const team = segment.worldSize === 1 ? '1 process' : `${segment.worldSize} processes on ${nodes} node${nodes === 1 ? '' : 's'}`;
  return segment.host ? `${team}, rank 0 on ${segment.host}` : team;
}

/** The engine's name as people read it. */
export const ENGINE_NAMES: Record<EngineKind, string> = { builtin: 'built-in', pytorch: 'PyTorch' };

/** "PyTorch · cpu", "built-in · cpu". */
export function segmentLabel(segment: Pick<EngineSegment, 'engine' | 'device'>): string {
  return `${ENGINE_NAMES[segment.engine]} · ${segment.device}`;
}

/** Who trained the run, in one line: "PyTorch · cpu" or "built-in · cpu from step 0, PyTorch · cuda:0 (…) from step 40"; null before any engine said. */
export function describeSegments(segments: readonly EngineSegment[] | undefined): string | null {
  if (!segments || segments.length === 0) return null;
  if (segments.length === 1) return segmentLabel(segments[0]);
  return segments.map((segment) => `${segmentLabel(segment)} from step ${segment.fromStep}`).join(', ');
}

/** What this computer offers to train on (`rnnwb engines`, the Engines panel). */
export interface EnginesInfo {
  builtin: { kernelPath: KernelPath; threads: number };
  pytorch: PytorchInfo;
}
export interface PytorchInfo {
  /** The python the PyTorch engine runs with, and where that choice comes from. */
  python: string;
  pythonFrom: 'environment' | 'setting' | 'default';
  /** Set when that python has a usable PyTorch. */
  found: null | {
    pythonVersion: string;
    torchVersion: string;
    cuda: { index: number; name: string; memoryBytes: number }[];
    mps: boolean;
    threads: number;
  };
  /** Why not, with how to install it (one sentence), when `found` is null. */
  problem: string | null;
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
  /** Train the continuation on another engine (default the original's); device defaults to auto when the engine changes. */
  engine?: EngineKind;
  device?: EngineDevice;
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

// ---------------------------------------------------------------- inspect
/** What to trace: the run's validation split (default, its first 20,000 characters), a corpus, or a text. */
export type InspectSource =
  | { kind: 'validation'; start?: number; length?: number }
  | { kind: 'corpus'; corpusId: Id; start?: number; length?: number }
  | { kind: 'text'; text: string };
/** Characters a validation or corpus source takes when no length is given. */
export const INSPECT_DEFAULT_LENGTH = 20_000;

export interface InspectInput {
  checkpointId: Id;
  source?: InspectSource;
}
/** Said before a trace starts: how big it is (the values are kept as float32). */
export interface InspectEstimate {
  checkpointId: Id;
  cell: 'lstm' | 'gru' | 'rnn';
  layers: number;
  hidden: number;
  /** Per layer: LSTM i,f,g,o,c,h; GRU r,z,n,h; RNN h. */
  kinds: string[];
  positions: number;
  /** positions × layers × kinds × hidden × 4, plus loss and top-5 per position. */
  bytes: number;
  /** e.g. 'the validation split of "kjv" (characters 0 to 20,000 of 104,858)'. */
  sourceLabel: string;
  /** Said when the trace reads the text differently from how the model was trained (a 'next' model). */
  note?: string;
}
export type InspectJobState = 'running' | 'done' | 'cancelled' | 'failed';
/** A trace or n-gram job in an engine process; poll inspectStatus until it is no longer running. */
export interface InspectJob {
  jobId: Id;
  kind: 'trace' | 'ngram';
  state: InspectJobState;
  /** 'start' | 'load' | 'trace' | 'count' | 'score', or 'cached' when the result was already there. */
  phase: string;
  done: number;
  total: number;
  /** When done: the traceId (trace) or ngramId (ngram) the inspect* methods take. */
  resultId: string | null;
  /** Why it failed (a sentence), or null. */
  message: string | null;
  estimate?: InspectEstimate;
}
export interface InspectSummary {
  traceId: string;
  checkpointId: Id;
  runId: Id;
  cell: 'lstm' | 'gru' | 'rnn';
  layers: number;
  hidden: number;
  kinds: string[];
  positions: number;
  /** The traced text (positions are its code points). */
  text: string;
  /** Mean loss over positions 1..N−1. */
  bitsPerChar: number;
  sourceLabel: string;
  /** sha256 of the text: two traces (or a trace and an n-gram job) on the same text share it. */
  textHash: string;
}
/** Positions start (inclusive) to end (exclusive); a missing bound is the text's. */
export interface PositionRange {
  start?: number;
  end?: number;
}
export interface UnitValues {
  traceId: string;
  /** e.g. "l0.h.12" */
  name: string;
  start: number;
  end: number;
  values: number[];
  /** Over the whole text, for a colour scale that does not change while scrolling. */
  min: number;
  max: number;
}
export interface PositionDetail {
  position: number;
  char: string;
  /** −log2 p(this character | the ones before); null at position 0. */
  lossBits: number | null;
  /** The 5 most likely next characters after reading this one. */
  top: { char: string; p: number }[];
}
export interface LossRange {
  start: number;
  end: number;
  /** Bits per position (null where there is none: position 0). */
  bits: (number | null)[];
}
export interface CharClassTotal {
  class: 'letter' | 'digit' | 'space' | 'punctuation' | 'cjk' | 'other' | 'word-start' | 'word-inside';
  count: number;
  bits: number;
  bitsPerChar: number | null;
}
export interface LossComparison extends LossRange {
  /** Bits of `otherTraceId` minus bits of `traceId` per position: negative where the other does better. */
  delta: (number | null)[];
  /** Mean bits of the trace and of the other. */
  bitsPerChar: [number, number];
}
export type RankMeasure = 'auc' | 'correlation';
export interface FindUnitsInput {
  traceId: string;
  /** A regular expression (JavaScript, Unicode); positions inside a match are marked. */
  pattern: string;
  /** Default 10. */
  top?: number;
  /** Default 'auc'. */
  measure?: RankMeasure;
  kinds?: string[];
  layers?: number[];
}
export interface FindUnitsResult {
  traceId: string;
  pattern: string;
  measure: RankMeasure;
  /** Positions the pattern marks, of `positions`. */
  marked: number;
  positions: number;
  units: RankedUnit[];
}
export interface SelectionInput extends SelectionQuery {
  traceId: string;
}
export interface SaturationResult {
  traceId: string;
  checkpointId: Id;
  cell: 'lstm' | 'gru' | 'rnn';
  /** Per layer and sigmoid gate (LSTM i, f, o; GRU r, z): per unit the fraction of positions < 0.1 and > 0.9. */
  gates: { layer: number; gate: string; left: number[]; right: number[] }[];
}
export interface NgramInput {
  runId: Id;
  /** Orders 1..maxOrder (default 7). */
  maxOrder?: number;
  /** The text scored (default: the run's validation split, its first 20,000 characters). */
  source?: InspectSource;
}
export interface NgramResult {
  ngramId: string;
  runId: Id;
  textHash: string;
  positions: number;
  trainChars: number;
  orders: { n: number; bitsPerChar: number }[];
  best: { n: number; bitsPerChar: number };
}
export interface CsvInput {
  traceId: string;
  /** 'ranking': the units ranked by `pattern`; 'positions': per position char, loss, top-1 and the `units`' values. */
  what: 'ranking' | 'positions';
  pattern?: string;
  measure?: RankMeasure;
  top?: number;
  units?: UnitRef[];
  start?: number;
  end?: number;
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

/**
 * Steps done over steps planned of the running and paused runs, 0…1; null when none trains. The
 * window title (renderer) and the taskbar progress bar (Electron main) show it.
 */
export function trainingProgress(runs: readonly Pick<RunSummary, 'status' | 'step' | 'totalSteps'>[]): number | null {
  const training = runs.filter((run) => (run.status === 'running' || run.status === 'paused') && run.totalSteps > 0);
  if (training.length === 0) return null;
  const done = training.reduce((sum, run) => sum + Math.min(run.step, run.totalSteps), 0);
  const total = training.reduce((sum, run) => sum + run.totalSteps, 0);
  return done / total;
}

/** A deleted run, checkpoint or corpus, kept until the trash is emptied (see main/storage/trash.ts). */
export type TrashKind = 'run' | 'checkpoint' | 'corpus';
export interface TrashItem {
  id: Id;
  kind: TrashKind;
  /** The thing's id and name when it was deleted (a checkpoint reads RUN@STEP). */
  itemId: Id;
  name: string;
  /** Runs that went with it (a corpus deleted with its runs; 1 for a run). */
  runs: number;
  bytes: number;
  deletedAt: string;
}

/** A run written as a portable project folder (main/runs/project.ts). */
export interface ProjectExport {
  runId: Id;
  name: string;
  /** The folder, as a full path on the host's disk. */
  dir: string;
  /** The files written, relative to `dir`. */
  files: string[];
  startStep: number;
  targetSteps: number;
  /** The README written into the folder (the lines that run it). */
  readme: string;
  /** The README's line for one process, run from inside `dir`. */
  command: string;
}
/** What importing a project folder brought back into its run. */
export interface ProjectImportReport {
  runId: Id;
  name: string;
  progressAdded: number;
  checkpointsAdded: number;
  /** How the project's run ended, if a line says so. */
  ended: RunStatus | null;
  /** What was left out or is not there, one sentence each (a half-written folder). */
  missing: string[];
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

/** How fast this machine trains a model of one shape: about a second of real steps (speed-calibration.ts). */
export interface SpeedCalibration {
  charsPerSec: number;
  /** The measured model's parameters (the estimate scales by them for another size). */
  parameterCount: number;
  /** The timed steps and how long they took. */
  steps: number;
  measuredMs: number;
  /** True when this shape was measured before (the measurement is kept while the host runs). */
  cached: boolean;
}

export interface WorkbenchApi {
  // corpora
  listCorpora(): Promise<CorpusSummary[]>;
  getCorpus(id: Id): Promise<CorpusDetail>;
  addCorpus(input: AddCorpusInput): Promise<CorpusSummary>;
  updateCorpus(id: Id, patch: { name?: string; text?: string }): Promise<CorpusSummary>;
  corpusStats(id: Id, window: number, objective?: 'next' | 'every'): Promise<CorpusStats>;
  corpusDeleteImpact(id: Id): Promise<DeleteImpact>;
  /**
   * Refuses when runs use the corpus unless `cascade` (their runs go too). A run another workbench
   * process trains is refused unless `force`: that process is then asked to stop it first.
   */
  deleteCorpus(id: Id, options?: { cascade?: boolean; force?: boolean }): Promise<TrashItem>;
  /**
   * `addCorpus` of a file sent in pieces, for showing progress and for files over one message: start with
   * its name and size, send its bytes in order, finish to store it (the same answer as `addCorpus`).
   */
  startCorpusUpload(input: { name: string; bytes: number; source?: string; normalize?: boolean }): Promise<{ uploadId: string }>;
  corpusUploadPiece(uploadId: string, bytes: Uint8Array): Promise<{ received: number; total: number }>;
  finishCorpusUpload(uploadId: string): Promise<CorpusSummary>;
  /** The bundled sample corpora, each with the stored corpus that holds its text (if any). */
  listSampleCorpora(): Promise<SampleCorpus[]>;
  /** Stores a bundled sample (nothing new when its text is stored already: that corpus comes back, `existing`). */
  addSampleCorpus(sampleId: string): Promise<CorpusSummary>;

  // runs
  presets(): Promise<{ name: PresetName; label: string; hyper: Hyperparameters }[]>;
  checkHyperparameters(input: { corpusId?: Id; preset?: PresetName; hyper?: Partial<Hyperparameters> }): Promise<HyperparameterCheck>;
  /** Times about a second of training of this model shape (built-in engine) on the corpus's vocabulary size; kept per shape. */
  calibrateSpeed(input: { corpusId?: Id; preset?: PresetName; hyper?: Partial<Hyperparameters> }): Promise<SpeedCalibration>;
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
  /** A run this host trains is stopped, then deleted; one another workbench process trains is refused unless `force` (stopped there first). */
  deleteRun(id: Id, options?: { force?: boolean }): Promise<TrashItem>;
  runMetrics(id: Id, options?: { maxPoints?: number }): Promise<MetricPoint[]>;
  listCheckpoints(runId: Id): Promise<CheckpointSummary[]>;
  deleteCheckpoint(id: Id): Promise<TrashItem>;
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

  // inspect (a long trace in an engine process; poll inspectStatus; results by traceId / ngramId)
  estimateInspect(input: InspectInput): Promise<InspectEstimate>;
  /** Starts a trace (or answers at once, state 'done', when this checkpoint and text are cached). */
  startInspect(input: InspectInput): Promise<InspectJob>;
  /** Starts fitting n-gram models on the run's training split and scoring them on the source text. */
  startNgram(input: NgramInput): Promise<InspectJob>;
  inspectStatus(jobId: Id): Promise<InspectJob>;
  /** Stops the job's engine work (within a second) and answers its final state. */
  cancelInspect(jobId: Id): Promise<InspectJob>;
  inspectSummary(traceId: string): Promise<InspectSummary>;
  inspectUnit(input: { traceId: string; unit: UnitRef } & PositionRange): Promise<UnitValues>;
  inspectPosition(input: { traceId: string; position: number }): Promise<PositionDetail>;
  inspectLoss(input: { traceId: string } & PositionRange): Promise<LossRange>;
  inspectClasses(traceId: string): Promise<CharClassTotal[]>;
  inspectCompareLoss(input: { traceId: string; otherTraceId: string } & PositionRange): Promise<LossComparison>;
  inspectFindUnits(input: FindUnitsInput): Promise<FindUnitsResult>;
  inspectSelection(input: SelectionInput): Promise<SelectionResult>;
  inspectSaturation(traceId: string): Promise<SaturationResult>;
  inspectNgram(ngramId: string): Promise<NgramResult>;
  /** Per-position bits of the n-gram model of order n (default: the best) on its text. */
  inspectNgramLoss(input: { ngramId: string; n?: number } & PositionRange): Promise<LossRange & { n: number }>;
  inspectCsv(input: CsvInput): Promise<{ fileName: string; csv: string }>;

  // import / export
  importCheckpoint(input: ImportInput): Promise<RunSummary>;
  exportCheckpoint(input: { checkpointId: Id; withOptimizer?: boolean }): Promise<{ fileName: string; bytes: Uint8Array }>;
  /**
   * Writes the run as a project folder on the host's disk (a full path, or ~/…) that trains anywhere with
   * PyTorch; a folder that exists and is not empty is refused unless `force`.
   */
  exportProject(input: { runId: Id; dir: string; steps?: number; force?: boolean }): Promise<ProjectExport>;
  /** Brings a project folder (host path) back into its run; importing again adds nothing twice. */
  importRun(input: { dir: string }): Promise<ProjectImportReport>;
  /** The same, for a folder sent as its files (dropped on the app): paths relative to the folder, '/'-separated. */
  importRunFiles(input: { files: { path: string; bytes: Uint8Array }[] }): Promise<ProjectImportReport>;

  // storage
  storageInfo(): Promise<StorageInfo>;
  vacuum(): Promise<StorageInfo>;
  /** Deleting moves things to the trash (newest first here); restore puts one back, emptying deletes for good. */
  listTrash(): Promise<TrashItem[]>;
  restoreTrash(id: Id): Promise<TrashItem>;
  emptyTrash(): Promise<{ deleted: number }>;

  // engines
  describeEngines(): Promise<EnginesInfo>;
  /** Which python the PyTorch engine runs (null: back to the default); refused with a sentence when it cannot run PyTorch. */
  setPythonPath(path: string | null): Promise<EnginesInfo>;

  // events
  onRunEvent(callback: (event: RunEvent) => void): () => void;
}

/** Method names, for transports that route by name (IPC channels, WebSocket calls). */
export const API_METHODS = [
  'listCorpora', 'getCorpus', 'addCorpus', 'updateCorpus', 'corpusStats', 'corpusDeleteImpact', 'deleteCorpus',
  'startCorpusUpload', 'corpusUploadPiece', 'finishCorpusUpload',
  'presets', 'checkHyperparameters', 'calibrateSpeed', 'listRuns', 'getRun', 'resolveRun', 'resolveCheckpoint', 'createRun',
  'createSweep', 'pauseRun', 'resumeRun', 'stopRun', 'continueRun', 'renameRun', 'runDeleteImpact', 'deleteRun',
  'runMetrics', 'listCheckpoints', 'deleteCheckpoint', 'listSamples', 'getConcurrency', 'setConcurrency',
  'compare', 'compareCsv', 'predict', 'generate', 'trace', 'evaluate', 'importCheckpoint', 'exportCheckpoint',
  'exportProject', 'importRun', 'importRunFiles',
  'storageInfo', 'vacuum', 'listTrash', 'restoreTrash', 'emptyTrash', 'describeEngines', 'setPythonPath',
  'listSampleCorpora', 'addSampleCorpus',
  'estimateInspect', 'startInspect', 'startNgram', 'inspectStatus', 'cancelInspect', 'inspectSummary', 'inspectUnit',
  'inspectPosition', 'inspectLoss', 'inspectClasses', 'inspectCompareLoss', 'inspectFindUnits', 'inspectSelection',
  'inspectSaturation', 'inspectNgram', 'inspectNgramLoss', 'inspectCsv',
] as const satisfies readonly Exclude<keyof WorkbenchApi, 'onRunEvent'>[];

export type ApiMethod = (typeof API_METHODS)[number];

/** An error meant for a person; `code` lets transports and the CLI map it (exit code 2 for bad input). */
export class ApiError extends WorkbenchError {
  constructor(message: string, code: ErrorCode = 'bad-input') {
    super(message, code);
    this.name = 'ApiError';
  }
}

// Compile-time check that API_METHODS lists every method.
type Unlisted = Exclude<Exclude<keyof WorkbenchApi, 'onRunEvent'>, ApiMethod>;
const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyMethodListed;
