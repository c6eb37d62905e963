/**
 * Hyperparameters of a run: one flat record shared by the engine, the run manager, the API, the CLI
 * and the UI form. `validateHyperparameters` is the single place that says what is allowed, in words
 * a person can act on (the UI shows each message next to its field).
 */

export type CellKind = 'lstm' | 'gru' | 'rnn';
export type Objective = 'next' | 'every';
export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';
export type ScheduleKind = 'constant' | 'step' | 'cosine';

export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn'];
export const OBJECTIVES: readonly Objective[] = ['next', 'every'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['adam', 'sgd', 'rmsprop'];
export const SCHEDULES: readonly ScheduleKind[] = ['constant', 'step', 'cosine'];

/** Gates per cell: rows of weight_ih / weight_hh are G·H. */
export const GATES: Record<CellKind, number> = { lstm: 4, gru: 3, rnn: 1 };

/** The architecture: everything needed to lay out and run the parameters. */
export interface ModelConfig {
  cell: CellKind;
  layers: number;
  vocabSize: number;
  embed: number;
  hidden: number;
  /** Characters a model reads: the training window (a `next` model reads the last `window` chars). */
  window: number;
  objective: Objective;
  /** Dropout probability between recurrent layers (training only; PyTorch's `dropout` argument). */
  dropout: number;
}

export interface Hyperparameters {
  cell: CellKind;
  layers: number;
  hidden: number;
  embed: number;
  window: number;
  objective: Objective;
  /** Windows per minibatch, or 'full' for every training window at once. */
  batch: number | 'full';
  /** Training length: `epochs` full passes, or exactly `steps` optimizer steps (steps wins when both set). */
  epochs: number;
  steps: number | null;
  optimizer: OptimizerKind;
  lr: number;
  /** SGD momentum / RMSprop momentum (0 = none). */
  momentum: number;
  weightDecay: number;
  schedule: ScheduleKind;
  /** Step decay: multiply lr by `decayGamma` every `decayEvery` steps. */
  decayEvery: number;
  decayGamma: number;
  /** Clip the global gradient norm to this value; 0 = off. */
  clip: number;
  dropout: number;
  /** Tail fraction of the corpus held out for validation (contiguous), 0 = none. */
  valFraction: number;
  /** Stop after this many evaluations without a better validation loss; 0 = off. */
  earlyStopPatience: number;
  /** Evaluate on the validation split every N steps (and at the end). */
  evalEvery: number;
  seed: number;
  /** Kernel threads at most; 0 = automatic (every core for a run alone, 1 when runs share the machine: the run manager decides). */
  threads: number;
  /** Periodic checkpoint every N steps; 0 = only best and final. */
  checkpointEvery: number;
  /** Periodic checkpoints kept per run (the best and the final are always kept). */
  keepLast: number;
  /** Window stride when cutting the corpus into windows; 0 = automatic (1 for `next`, window for `every`). */
  stride: number;
}

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = {
  cell: 'lstm',
  layers: 1,
  hidden: 64,
  embed: 32,
  window: 10,
  objective: 'next',
  batch: 'full',
  epochs: 500,
  steps: null,
  optimizer: 'adam',
  lr: 0.01,
  momentum: 0,
  weightDecay: 0,
  schedule: 'constant',
  decayEvery: 1000,
  decayGamma: 0.5,
  clip: 0,
  dropout: 0,
  valFraction: 0.1,
  earlyStopPatience: 0,
  evalEvery: 50,
  seed: 1,
  threads: 0,
  checkpointEvery: 0,
  keepLast: 3,
  stride: 0,
};

export type PresetName = 'reference' | 'char-rnn-small' | 'char-rnn-medium';

/** Presets: the reference script's run, and two char-rnn sizes. Explicit settings override a preset. */
export const PRESETS: Record<PresetName, { label: string; hyper: Hyperparameters }> = {
  reference: {
    label: 'Reference script',
    hyper: { ...DEFAULT_HYPERPARAMETERS, valFraction: 0, seed: 42, evalEvery: 50 },
  },
  'char-rnn-small': {
    label: 'char-rnn small',
    hyper: {
      ...DEFAULT_HYPERPARAMETERS,
      layers: 2, hidden: 128, embed: 64, window: 64, objective: 'every', batch: 32,
      epochs: 10, lr: 0.002, clip: 5, dropout: 0, valFraction: 0.1, evalEvery: 100, checkpointEvery: 500, seed: 1,
    },
  },
  'char-rnn-medium': {
    label: 'char-rnn medium',
    hyper: {
      ...DEFAULT_HYPERPARAMETERS,
      layers: 2, hidden: 256, embed: 64, window: 64, objective: 'every', batch: 32,
      epochs: 20, lr: 0.002, clip: 5, dropout: 0.2, valFraction: 0.1, evalEvery: 200, checkpointEvery: 1000, seed: 1,
    },
  },
};

export function modelConfigOf(h: Hyperparameters, vocabSize: number): ModelConfig {
  return {
    cell: h.cell, layers: h.layers, vocabSize, embed: h.embed, hidden: h.hidden,
    window: h.window, objective: h.objective, dropout: h.dropout,
  };
}

export type FieldErrors = Partial<Record<keyof Hyperparameters, string>>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Every problem with a set of hyperparameters, keyed by field; empty when they are usable. */
export function validateHyperparameters(h: Hyperparameters): FieldErrors {
  const e: FieldErrors = {};
  const intIn = (k: keyof Hyperparameters, label: string, min: number, max: number) => {
    const v = h[k];
    if (!isInt(v) || v < min || v > max) e[k] = `${label} must be a whole number from ${min} to ${max} (got ${show(v)}).`;
  };
  const numIn = (k: keyof Hyperparameters, label: string, min: number, max: number, minOpen = false) => {
    const v = h[k];
    if (!isNum(v) || (minOpen ? v <= min : v < min) || v > max) {
      e[k] = `${label} must be a number ${minOpen ? 'above' : 'from'} ${min}${minOpen ? ' and at most' : ' to'} ${max} (got ${show(v)}).`;
    }
  };
  if (!CELL_KINDS.includes(h.cell)) e.cell = `Cell must be one of ${CELL_KINDS.join(', ')} (got ${show(h.cell)}).`;
  if (!OBJECTIVES.includes(h.objective)) e.objective = `Objective must be "next" or "every" (got ${show(h.objective)}).`;
  if (!OPTIMIZERS.includes(h.optimizer)) e.optimizer = `Optimizer must be one of ${OPTIMIZERS.join(', ')} (got ${show(h.optimizer)}).`;
  if (!SCHEDULES.includes(h.schedule)) e.schedule = `Schedule must be one of ${SCHEDULES.join(', ')} (got ${show(h.schedule)}).`;
  intIn('layers', 'Layers', 1, 8);
  intIn('hidden', 'Hidden size', 1, 4096);
  intIn('embed', 'Embedding size', 1, 4096);
  intIn('window', 'Window', 1, 4096);
  if (h.batch !== 'full' && (!isInt(h.batch) || h.batch < 1 || h.batch > 65536)) {
    e.batch = `Batch must be "full" or a whole number from 1 to 65536 (got ${show(h.batch)}).`;
  }
  if (h.steps === null) intIn('epochs', 'Epochs', 1, 1_000_000);
  else if (!isInt(h.steps) || h.steps < 1 || h.steps > 100_000_000) e.steps = `Steps must be a whole number from 1 to 100000000 (got ${show(h.steps)}).`;
  numIn('lr', 'Learning rate', 0, 10, true);
  numIn('momentum', 'Momentum', 0, 0.999);
  numIn('weightDecay', 'Weight decay', 0, 1);
  intIn('decayEvery', 'Decay interval', 1, 100_000_000);
  numIn('decayGamma', 'Decay factor', 0, 1, true);
  numIn('clip', 'Gradient clip', 0, 1e6);
  numIn('dropout', 'Dropout', 0, 0.9);
  numIn('valFraction', 'Validation fraction', 0, 0.5);
  intIn('earlyStopPatience', 'Early-stop patience', 0, 1_000_000);
  intIn('evalEvery', 'Evaluation interval', 1, 100_000_000);
  intIn('seed', 'Seed', 0, 4294967295);
  intIn('threads', 'Threads', 0, 64);
  intIn('checkpointEvery', 'Checkpoint interval', 0, 100_000_000);
  intIn('keepLast', 'Checkpoints kept', 1, 1000);
  intIn('stride', 'Stride', 0, 4096);
  return e;
}

/** Problems that need the corpus: too short for one window, or no room for a validation split. */
export function validateAgainstCorpus(h: Hyperparameters, corpusLength: number): string | null {
  if (corpusLength === 0) return 'The corpus is empty.';
  const need = h.window + 1;
  const trainLength = Math.floor(corpusLength * (1 - h.valFraction));
  const valLength = corpusLength - trainLength;
  if (trainLength < need) {
    return h.valFraction > 0
      ? `The corpus has ${corpusLength} characters; after holding out ${Math.round(h.valFraction * 100)}% for validation, ${trainLength} remain, but a window needs at least ${need}.`
      : `The corpus has ${corpusLength} characters; a window needs at least ${need}.`;
  }
  if (h.valFraction > 0 && valLength < need) {
    return `The validation split has ${valLength} characters; a window needs at least ${need}. Lower the window, raise the validation fraction, or set it to 0.`;
  }
  return null;
}

/** Parameter count of a model with these hyperparameters and a vocabulary of V characters. */
export function parameterCount(h: Pick<Hyperparameters, 'cell' | 'layers' | 'hidden' | 'embed'>, V: number): number {
  const G = GATES[h.cell];
  const H = h.hidden;
  let n = V * h.embed + H * V + V;
  for (let l = 0; l < h.layers; l++) {
    const inSize = l === 0 ? h.embed : H;
    n += G * H * inSize + G * H * H + 2 * G * H;
  }
  return n;
}

/** Rough training memory in bytes: parameters ×4 (weights, grads, two moments) plus activations. */
export function memoryEstimate(h: Hyperparameters, V: number, trainWindows: number): number {
  const B = h.batch === 'full' ? Math.max(1, trainWindows) : h.batch;
  const T = h.window;
  const G = GATES[h.cell];
  const activations = B * T * (h.embed + h.layers * (G + 3) * h.hidden) + B * (h.objective === 'every' ? T : 1) * V * 2;
  return 4 * (4 * parameterCount(h, V) + activations);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
