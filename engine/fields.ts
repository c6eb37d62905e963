/**
 * The hyperparameter table: every field of a run once — its kind and range, default, unit, New-run
 * form section and command-line flag. Its label and help are the messages `field.<key>` and
 * `help.<key>` of renderer/src/lib/messages.ts. Built from it: the checks and their wording
 * (config.ts validateHyperparameters), the API's zod schema (main/api/schemas.ts), the CLI flags and
 * their --help (main/cli/hyper-flags.ts), the New-run form (renderer/src/lib/run-form.svelte.ts) and
 * the rows of the compare table (main/api/service-compare.ts). Adding a field is one entry here and
 * its member in `Hyperparameters`: tsc refuses either without the other.
 *
 * Also the limits of the checkpoint samples a run writes, which the host, the engine and the form share.
 * Pure: no Node, no zod, no UI.
 */
import type { Hyperparameters } from './config.ts';

export type CellKind = 'lstm' | 'gru' | 'rnn';
export type Objective = 'next' | 'every';
export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';
export type ScheduleKind = 'constant' | 'step' | 'cosine';
export type EngineKind = 'builtin' | 'pytorch';
export type EngineDevice = 'auto' | 'cpu' | 'cuda' | 'mps';

export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn'];
export const OBJECTIVES: readonly Objective[] = ['next', 'every'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['adam', 'sgd', 'rmsprop'];
export const SCHEDULES: readonly ScheduleKind[] = ['constant', 'step', 'cosine'];
export const ENGINE_KINDS: readonly EngineKind[] = ['builtin', 'pytorch'];
/** auto = CUDA, then MPS, then CPU (the PyTorch engine decides); the built-in engine is CPU only. */
export const ENGINE_DEVICES: readonly EngineDevice[] = ['auto', 'cpu', 'cuda', 'mps'];

/** The New-run form's sections, in tab order. */
export const FORM_SECTIONS = ['model', 'training', 'validation', 'reproducibility', 'engine'] as const;
export type FormSection = (typeof FORM_SECTIONS)[number];

/** A command-line flag: `--<flag> <value>`, described by `help` in --help. */
export interface CliFlag {
  flag: string;
  value: string;
  help: string;
}

interface FieldCommon<V> {
  default: V;
  /** The field's name in messages ("Hidden size must be …") and in --help. */
  label: string;
  /** What the number counts, where it counts something (shown by --help after the value). */
  unit?: string;
  section: FormSection;
  /** The form shows epochs and steps as one control: a choice of the two and one number. */
  control?: 'length';
  /** Checked only when this says so (epochs only count when steps is null). */
  checkedWhen?: (h: Hyperparameters) => boolean;
  /** `null` only with a reason a command line has no use for the field. */
  cli: CliFlag | { flag: null; reason: string };
  /** A value other than `unless` only means something when `field` is `value` (device: only PyTorch has devices); otherwise refused. */
  requires?: { field: HyperparameterKey; value: string; unless: V };
}

/** A whole number in [min, max]; `nullable` fields also take null (steps: "count by epochs"). */
export interface IntField<V> extends FieldCommon<V> {
  kind: 'int';
  min: number;
  max: number;
  nullable?: true;
}

/** A finite number in [min, max], or (min, max] when `aboveMin`. */
export interface NumberField<V> extends FieldCommon<V> {
  kind: 'number';
  min: number;
  max: number;
  aboveMin?: true;
}

export interface ChoiceField<V> extends FieldCommon<V> {
  kind: 'choice';
  choices: readonly string[];
}

/** A line of text: empty, or matching `pattern` (whose shape `shape` says in words), at most `maxLength` characters. */
export interface TextField<V> extends FieldCommon<V> {
  kind: 'text';
  pattern: RegExp;
  shape: string;
  maxLength: number;
}

/** "full" (every training window at once) or a whole number in [min, max]. */
export interface BatchField<V> extends FieldCommon<V> {
  kind: 'batch';
  min: number;
  max: number;
}

export type FieldSpec<V = unknown> = IntField<V> | NumberField<V> | ChoiceField<V> | BatchField<V> | TextField<V>;
export type FieldKind = FieldSpec['kind'];
export type HyperparameterKey = keyof Hyperparameters;

const MAX_STEPS = 100_000_000;

/** In the order of the form (and of the compare table). */
export const HYPERPARAMETER_FIELDS = {
  cell: { kind: 'choice', choices: CELL_KINDS, default: 'lstm', label: 'Cell', section: 'model', cli: { flag: 'cell', value: 'kind', help: 'recurrent cell' } },
  layers: { kind: 'int', min: 1, max: 8, default: 1, label: 'Layers', section: 'model', cli: { flag: 'layers', value: 'n', help: 'stacked recurrent layers' } },
  hidden: { kind: 'int', min: 1, max: 4096, default: 64, label: 'Hidden size', unit: 'units', section: 'model', cli: { flag: 'hidden', value: 'n', help: 'hidden size' } },
  embed: { kind: 'int', min: 1, max: 4096, default: 32, label: 'Embedding size', unit: 'dimensions', section: 'model', cli: { flag: 'embed', value: 'n', help: 'embedding size' } },
  window: { kind: 'int', min: 1, max: 4096, default: 10, label: 'Window', unit: 'characters', section: 'model', cli: { flag: 'window', value: 'n', help: 'characters per training window' } },
  objective: {
    kind: 'choice', choices: OBJECTIVES, default: 'next', label: 'Objective', section: 'model',
    cli: { flag: 'objective', value: 'kind', help: 'predict the next char after the window, or at every position' },
  },
  dropout: { kind: 'number', min: 0, max: 0.9, default: 0, label: 'Dropout', unit: 'probability', section: 'model', cli: { flag: 'dropout', value: 'p', help: 'dropout between layers' } },

  batch: { kind: 'batch', min: 1, max: 65536, default: 'full', label: 'Batch', unit: 'windows', section: 'training', cli: { flag: 'batch', value: 'n|full', help: 'windows per minibatch, or "full"' } },
  epochs: {
    kind: 'int', min: 1, max: 1_000_000, default: 500, label: 'Epochs', section: 'training', control: 'length',
    checkedWhen: (h) => h.steps === null,
    cli: { flag: 'epochs', value: 'n', help: 'train for N passes over the corpus' },
  },
  steps: {
    kind: 'int', min: 1, max: MAX_STEPS, nullable: true, default: null, label: 'Steps', unit: 'steps', section: 'training', control: 'length',
    cli: { flag: 'steps', value: 'n', help: 'train for exactly N optimizer steps' },
  },
  optimizer: { kind: 'choice', choices: OPTIMIZERS, default: 'adam', label: 'Optimizer', section: 'training', cli: { flag: 'optimizer', value: 'kind', help: 'optimizer' } },
  lr: { kind: 'number', min: 0, max: 10, aboveMin: true, default: 0.01, label: 'Learning rate', section: 'training', cli: { flag: 'lr', value: 'rate', help: 'learning rate' } },
  momentum: { kind: 'number', min: 0, max: 0.999, default: 0, label: 'Momentum', section: 'training', cli: { flag: 'momentum', value: 'm', help: 'momentum (SGD, RMSprop)' } },
  weightDecay: { kind: 'number', min: 0, max: 1, default: 0, label: 'Weight decay', section: 'training', cli: { flag: 'weight-decay', value: 'w', help: 'L2 weight decay' } },
  schedule: { kind: 'choice', choices: SCHEDULES, default: 'constant', label: 'Schedule', section: 'training', cli: { flag: 'schedule', value: 'kind', help: 'learning-rate schedule' } },
  decayEvery: {
    kind: 'int', min: 1, max: MAX_STEPS, default: 1000, label: 'Decay interval', unit: 'steps', section: 'training',
    cli: { flag: 'decay-every', value: 'n', help: 'step schedule: multiply the learning rate by the decay factor every N steps' },
  },
  decayGamma: {
    kind: 'number', min: 0, max: 1, aboveMin: true, default: 0.5, label: 'Decay factor', section: 'training',
    cli: { flag: 'decay-gamma', value: 'g', help: 'step schedule: the factor the learning rate is multiplied by' },
  },
  clip: { kind: 'number', min: 0, max: 1e6, default: 0, label: 'Gradient clip', section: 'training', cli: { flag: 'clip', value: 'norm', help: 'clip the gradient norm (0 = off)' } },

  valFraction: {
    kind: 'number', min: 0, max: 0.5, default: 0.1, label: 'Validation fraction', section: 'validation',
    cli: { flag: 'val', value: 'fraction', help: 'tail fraction of the corpus held out for validation' },
  },
  evalEvery: { kind: 'int', min: 1, max: MAX_STEPS, default: 50, label: 'Evaluation interval', unit: 'steps', section: 'validation', cli: { flag: 'eval-every', value: 'n', help: 'evaluate every N steps' } },
  earlyStopPatience: {
    kind: 'int', min: 0, max: 1_000_000, default: 0, label: 'Early-stop patience', unit: 'evaluations', section: 'validation',
    cli: { flag: 'early-stop', value: 'patience', help: 'stop after N evaluations without improvement (0 = off)' },
  },
  checkpointEvery: {
    kind: 'int', min: 0, max: MAX_STEPS, default: 0, label: 'Checkpoint interval', unit: 'steps', section: 'validation',
    cli: { flag: 'checkpoint-every', value: 'n', help: 'periodic checkpoint every N steps (0 = only best and final)' },
  },
  keepLast: { kind: 'int', min: 1, max: 1000, default: 3, label: 'Checkpoints kept', unit: 'checkpoints', section: 'validation', cli: { flag: 'keep-last', value: 'k', help: 'periodic checkpoints kept' } },

  seed: { kind: 'int', min: 0, max: 4294967295, default: 1, label: 'Seed', section: 'reproducibility', cli: { flag: 'seed', value: 'n', help: 'random seed' } },
  threads: { kind: 'int', min: 0, max: 64, default: 0, label: 'Threads', unit: 'threads', section: 'reproducibility', cli: { flag: 'threads', value: 'n', help: 'kernel threads at most (0 = automatic)' } },
  stride: {
    kind: 'int', min: 0, max: 4096, default: 0, label: 'Stride', unit: 'characters', section: 'reproducibility',
    cli: { flag: 'stride', value: 'n', help: 'characters between window starts (0 = automatic: 1 for next, the window for every)' },
  },

  engine: {
    kind: 'choice', choices: ENGINE_KINDS, default: 'builtin', label: 'Engine', section: 'engine',
    cli: { flag: 'engine', value: 'kind', help: 'what trains it: the built-in engine (CPU) or PyTorch (CPU, CUDA, MPS)' },
  },
  device: {
    kind: 'choice', choices: ENGINE_DEVICES, default: 'auto', label: 'Device', section: 'engine',
    requires: { field: 'engine', value: 'pytorch', unless: 'auto' },
    cli: { flag: 'device', value: 'kind', help: 'PyTorch engine: where it trains (auto = CUDA, then MPS, then CPU)' },
  },
  processes: {
    kind: 'int', min: 1, max: 1024, default: 1, label: 'Processes per node', unit: 'processes', section: 'engine',
    requires: { field: 'engine', value: 'pytorch', unless: 1 },
    cli: { flag: 'procs', value: 'n', help: 'PyTorch engine: data-parallel processes per node under torchrun (DDP; one per GPU)' },
  },
  nodes: {
    kind: 'int', min: 1, max: 1024, default: 1, label: 'Nodes', unit: 'machines', section: 'engine',
    requires: { field: 'engine', value: 'pytorch', unless: 1 },
    cli: { flag: 'nodes', value: 'm', help: 'PyTorch engine: machines in the run; this one is node 0, start the others with the README\'s line' },
  },
  rdzv: {
    kind: 'text', pattern: /^[A-Za-z0-9._-]+:\d{1,5}$/, shape: 'HOST:PORT (where node 0 waits for the other nodes)', maxLength: 255,
    default: '', label: 'Rendezvous', section: 'engine',
    requires: { field: 'engine', value: 'pytorch', unless: '' },
    cli: { flag: 'rdzv', value: 'host:port', help: 'PyTorch engine with several nodes: where node 0 waits for the others' },
  },
  via: {
    kind: 'text', pattern: /^[^\p{Cc}]+$/u, shape: 'a command line without control characters', maxLength: 500,
    default: '', label: 'Launch prefix', section: 'engine',
    requires: { field: 'engine', value: 'pytorch', unless: '' },
    cli: { flag: 'via', value: 'command', help: 'PyTorch engine: a command the engine runs behind, spoken through over stdio ("ssh gpu-box", "srun -N2", "docker exec box")' },
  },
} as const satisfies { [K in HyperparameterKey]: FieldSpec<Hyperparameters[K]> };

/** The fields, in the table's order. */
export const HYPERPARAMETER_KEYS = Object.keys(HYPERPARAMETER_FIELDS) as HyperparameterKey[];

/** The table entry of a field, widened to the common shape. */
export function fieldSpec(key: HyperparameterKey): FieldSpec {
  return HYPERPARAMETER_FIELDS[key] as FieldSpec;
}

export function isHyperparameterKey(name: string): name is HyperparameterKey {
  return Object.hasOwn(HYPERPARAMETER_FIELDS, name);
}

/** The message ids of a field's label and help in renderer/src/lib/messages.ts. */
export const labelKey = <K extends HyperparameterKey>(key: K): `field.${K}` => `field.${key}`;
export const helpKey = <K extends HyperparameterKey>(key: K): `help.${K}` => `help.${key}`;

// ------------------------------------------------------------------ the field messages
/**
 * The sentences a refused value gets, with {placeholders}. The UI's English templates are these
 * (messages.ts); other languages rebuild the sentence from its rule (`fieldRule`) and the value.
 */
export const FIELD_ERROR_TEMPLATES = {
  int: '{label} must be a whole number from {min} to {max} (got {got}).',
  range: '{label} must be a number from {min} to {max} (got {got}).',
  above: '{label} must be a number above {min} and at most {max} (got {got}).',
  oneOf: '{label} must be one of {choices} (got {got}).',
  batch: '{label} must be "full" or a whole number from {min} to {max} (got {got}).',
  requires: '{label} other than {unless} needs {field} {value} (got {got}).',
  text: '{label} must be empty or {shape}, at most {max} characters (got {got}).',
} as const;
export type FieldErrorTemplate = keyof typeof FIELD_ERROR_TEMPLATES;

/** Which sentence a field's refusal is, and its numbers (all but the label and the value given). */
export function fieldRule(key: HyperparameterKey): { template: FieldErrorTemplate; vars: Record<string, string> } {
  const spec = fieldSpec(key);
  switch (spec.kind) {
    case 'choice': return { template: 'oneOf', vars: { choices: spec.choices.join(', ') } };
    case 'batch': return { template: 'batch', vars: { min: String(spec.min), max: String(spec.max) } };
    case 'text': return { template: 'text', vars: { shape: spec.shape, max: String(spec.maxLength) } };
    case 'int': return { template: 'int', vars: { min: String(spec.min), max: String(spec.max) } };
    case 'number': return { template: spec.aboveMin ? 'above' : 'range', vars: { min: String(spec.min), max: String(spec.max) } };
  }
}

export function fillTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** How a refused value is written in a message: strings quoted, everything else as JavaScript prints it. */
export function showValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether the table allows this value for the field (not counting `checkedWhen`). */
export function fieldAllows(key: HyperparameterKey, value: unknown): boolean {
  const spec = fieldSpec(key);
  switch (spec.kind) {
    case 'choice': return typeof value === 'string' && spec.choices.includes(value);
    case 'batch': return value === 'full' || (isInt(value) && value >= spec.min && value <= spec.max);
    case 'text': return typeof value === 'string' && value.length <= spec.maxLength && (value === '' || spec.pattern.test(value));
    case 'int': return (spec.nullable === true && value === null) || (isInt(value) && value >= spec.min && value <= spec.max);
    case 'number': return isNum(value) && (spec.aboveMin ? value > spec.min : value >= spec.min) && value <= spec.max;
  }
}

/** The field's problem with `value` in words, or null when it is allowed. */
export function fieldProblem(key: HyperparameterKey, value: unknown): string | null {
  if (fieldAllows(key, value)) return null;
  const { template, vars } = fieldRule(key);
  return fillTemplate(FIELD_ERROR_TEMPLATES[template], { ...vars, label: fieldSpec(key).label, got: showValue(value) });
}

/** The numbers of a field's `requires` sentence (null for a field without one). */
export function requiresRule(key: HyperparameterKey): Record<string, string> | null {
  const spec = fieldSpec(key);
  if (!spec.requires) return null;
  const { field, value, unless } = spec.requires;
  return { field: fieldSpec(field).label, value, unless: unless === '' ? 'empty' : String(unless) };
}

/** A value the field allows alone but not beside the others (device cuda with the built-in engine), in words. */
export function requiresProblem(key: HyperparameterKey, h: Hyperparameters): string | null {
  const spec = fieldSpec(key);
  if (!spec.requires) return null;
  const { field, value, unless } = spec.requires;
  if (h[key] === unless || h[field] === value) return null;
  return fillTemplate(FIELD_ERROR_TEMPLATES.requires, { ...requiresRule(key)!, label: spec.label, got: showValue(h[key]) });
}

// ------------------------------------------------------------------ checkpoint samples
/**
 * What a run's checkpoint samples may be: as long as the playground generates (1 to 100,000
 * characters), and a temperature above 0 (a sample shows what the model draws; greedy decoding is
 * the playground's) and at most 10.
 */
export const SAMPLE_LIMITS = { length: { min: 1, max: 100_000 }, temperature: { above: 0, max: 10 } } as const;

export const SAMPLE_ERROR_TEMPLATES = {
  length: `The sample length must be a whole number from ${SAMPLE_LIMITS.length.min} to ${SAMPLE_LIMITS.length.max} (got {got}).`,
  temperature: `The sample temperature must be above ${SAMPLE_LIMITS.temperature.above} and at most ${SAMPLE_LIMITS.temperature.max} (got {got}).`,
} as const;

export function sampleLengthProblem(length: unknown): string | null {
  const { min, max } = SAMPLE_LIMITS.length;
  return isInt(length) && length >= min && length <= max ? null : fillTemplate(SAMPLE_ERROR_TEMPLATES.length, { got: String(length) });
}

export function sampleTemperatureProblem(temperature: unknown): string | null {
  const { above, max } = SAMPLE_LIMITS.temperature;
  return isNum(temperature) && temperature > above && temperature <= max ? null : fillTemplate(SAMPLE_ERROR_TEMPLATES.temperature, { got: String(temperature) });
}
