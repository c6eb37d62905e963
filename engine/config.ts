/**
 * Hyperparameters of a run: one flat record shared by the engine, the run manager, the API, the CLI
 * and the UI form. Each field's kind, range and default live once, in the table of fields.ts;
 * `validateHyperparameters` applies it, in words a person can act on (the UI shows each message next
 * to its field).
 */
import { trainLength as trainSplitLength } from './data/windows.ts';
import { HYPERPARAMETER_FIELDS, HYPERPARAMETER_KEYS, fieldProblem, fieldSpec, requiresProblem, type CellKind, type EngineDevice, type EngineKind, type Objective, type OptimizerKind, type ScheduleKind } from './fields.ts';

export { CELL_KINDS, ENGINE_DEVICES, ENGINE_KINDS, OBJECTIVES, OPTIMIZERS, SCHEDULES } from './fields.ts';
export type { CellKind, EngineDevice, EngineKind, Objective, OptimizerKind, ScheduleKind } from './fields.ts';

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
  /** What trains the run: the built-in engine, or PyTorch (engine/pytorch). A run may change engine when continued. */
  engine: EngineKind;
  /** Where the PyTorch engine trains; must stay 'auto' with the built-in engine (CPU only). */
  device: EngineDevice;
  /** PyTorch engine: data-parallel processes per node under torchrun (1 = no torchrun). */
  processes: number;
  /** PyTorch engine: machines in the run; the workbench's launch is node 0. */
  nodes: number;
  /** PyTorch engine with nodes > 1: HOST:PORT where node 0 waits for the others ('' with one node). */
  rdzv: string;
  /** PyTorch engine: a command the engine's launch goes behind (`ssh gpu-box`); '' = run it here. */
  via: string;
}

/** Every field's default, from the table. */
export const DEFAULT_HYPERPARAMETERS: Hyperparameters = Object.fromEntries(
  HYPERPARAMETER_KEYS.map((key) => [key, HYPERPARAMETER_FIELDS[key].default]),
) as unknown as Hyperparameters;

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

/** Every problem with a set of hyperparameters, keyed by field (in the table's order); empty when they are usable. */
export function validateHyperparameters(h: Hyperparameters): FieldErrors {
  const errors: FieldErrors = {};
  for (const key of HYPERPARAMETER_KEYS) {
    if (fieldSpec(key).checkedWhen?.(h) === false) continue;
    const problem = fieldProblem(key, h[key]) ?? requiresProblem(key, h);
    if (problem) errors[key] = problem;
  }
  if (h.nodes > 1 && h.rdzv === '' && !errors.rdzv && !errors.nodes) {
    errors.rdzv = `Rendezvous must be HOST:PORT when the run has more than one node (nodes ${h.nodes}): the other nodes meet node 0 there.`;
  }
  return errors;
}

/** The field errors as one readable line (in the table's order), or null when there are none. */
export function describeFieldErrors(errors: FieldErrors): string | null {
  const messages = Object.values(errors).filter((m): m is string => typeof m === 'string' && m !== '');
  return messages.length === 0 ? null : messages.join(' ');
}

/** Problems that need the corpus: too short for one window, or no room for a validation split. */
export function validateAgainstCorpus(h: Hyperparameters, corpusLength: number): string | null {
  if (corpusLength === 0) return 'The corpus is empty.';
  const need = h.window + 1;
  const trainLength = trainSplitLength(corpusLength, h.valFraction);
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

/**
 * Floats of each of the output layer's three scratch buffers (one chunk of logits, of probabilities and
 * of their gradient): ≈ 16 MB each. The head works through the predictions of a batch this many
 * floats at a time, so a full batch over a large vocabulary never needs all its logits at once.
 */
export const HEAD_CHUNK_FLOATS = 1 << 22;

/**
 * Predictions (rows of logits) the head computes at a time for a vocabulary of V characters. A
 * multiple of 4: the reference kernels sum the weight gradient over rows in groups of four, so chunks
 * that start at multiples of 4 leave it bit-identical to one pass over all rows.
 */
export function headChunkRows(V: number): number {
  return Math.max(4, Math.floor(HEAD_CHUNK_FLOATS / V / 4) * 4);
}

/**
 * Activation floats per (sequence, step) position that the model's workspace holds: the embedding,
 * each layer's outputs, gates and states, and when training their gradients. Mirrors
 * allocWorkspace in engine/model.ts (change both together); the head's scratch is counted apart.
 */
export function activationFloatsPerPosition(
  m: Pick<ModelConfig, 'cell' | 'layers' | 'hidden' | 'embed' | 'dropout'>, training: boolean,
): number {
  const { cell, layers: L, hidden: H, embed: E } = m;
  const G = GATES[cell] * H;
  const gates = cell === 'rnn' ? 0 : G;
  const perLayer = 2 * H + gates + (cell === 'lstm' || cell === 'gru' ? H : 0); // out, hPrev, gates, cells | hn
  let floats = E + L * perLayer;
  if (!training) return floats;
  const dropping = m.dropout > 0 && L > 1;
  floats += E + L * H; // dEmb, each layer's dOut
  floats += G * (cell === 'gru' ? 2 : 1); // dGates (and GRU's hidden-side dGatesH), shared by the layers
  if (dropping) floats += 2 * (L - 1) * H + H; // masks and outputs between layers, dDrop
  return floats;
}

/** Floats per sequence of a batch beside those per position: states, one step's products, their gradients. */
export function activationFloatsPerSequence(m: Pick<ModelConfig, 'cell' | 'layers' | 'hidden'>, training: boolean): number {
  const { cell, layers: L, hidden: H } = m;
  const G = GATES[cell] * H;
  const states = L * H * (cell === 'lstm' ? 2 : 1) + G; // h (and c) per layer, hh
  return training ? states + G + 3 * H : states; // dGatesStep, dh, dc, dLast
}

/**
 * Whether the first layer reads a batch's token ids instead of their embedded rows (engine/layers/layer-input.ts):
 * when the vocabulary has fewer ids than the batch has tokens, its input products run over V rows, not B·T.
 */
export const firstLayerReadsTokens = (V: number, tokens: number): boolean => V < tokens;

/** Floats of that path's scratch for a workspace of `tokens` tokens: the table's projections (V, G), and their gradient when training. */
export function tokenInputFloats(m: Pick<ModelConfig, 'cell' | 'hidden'>, V: number, tokens: number, training: boolean): number {
  if (!firstLayerReadsTokens(V, tokens)) return 0;
  return V * GATES[m.cell] * m.hidden * (training ? 2 : 1);
}

/**
 * Training memory in bytes: parameters ×4 (weights, gradients, two optimizer moments), the
 * activations of a batch, the head's logits, probabilities and their gradient — one chunk of
 * `headChunkRows` predictions, or the whole batch's B (next) or B·T (every) when fewer — and the
 * batch's input and target ids, and the first layer's token-input scratch (tokenInputFloats).
 */
export function memoryEstimate(h: Hyperparameters, V: number, trainWindows: number): number {
  const B = h.batch === 'full' ? Math.max(1, trainWindows) : h.batch;
  const T = h.window;
  const predictions = B * (h.objective === 'every' ? T : 1);
  const activations = B * (T * activationFloatsPerPosition(h, true) + activationFloatsPerSequence(h, true)) + tokenInputFloats(h, V, B * T, true);
  const head = 3 * Math.min(predictions, headChunkRows(V)) * V;
  const ids = B * T + predictions;
  return 4 * (4 * parameterCount(h, V) + activations + head + ids);
}
