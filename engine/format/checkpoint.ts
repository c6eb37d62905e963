/**
 * The workbench checkpoint: a safetensors file whose tensors are the model's parameters under PyTorch's
 * `state_dict` names (`embedding.weight`, `<cell>.weight_ih_l0`, …, `linear.bias`), so the weights-only
 * export loads with `model.load_state_dict(..., strict=True)` for a module with submodules `embedding`,
 * `<cell>` and `linear`.
 *
 * `__metadata__` (all values are strings; most are JSON):
 *   format       "recurrent-workbench/1"
 *   config       JSON ModelConfig                vocab     JSON array of the characters, id order
 *   step         decimal integer                 rng       JSON RngState (when given)
 *   hyper        JSON Hyperparameters (when given)
 *   kernel_path  plain string, e.g. "wasm-simd" (when given)
 *   optimizer    JSON {kind, stepCount} — only with `withOptimizer`, which also writes one tensor per
 *                moment buffer and parameter: `optim.<buffer>.<param>` (e.g. `optim.exp_avg.lstm.weight_ih_l0`)
 *   any other key: carried in `extra`, both ways.
 *
 * Decoding also imports a plain PyTorch state_dict saved as safetensors (no metadata or foreign
 * metadata): the architecture is read from the shapes (weight_hh_l0 rows = 4H / 3H / H → LSTM / GRU / RNN;
 * the recurrent prefix is the cell's own, `lstm.` or `gru.`, or the generic `rnn.` for any cell; an RNN is
 * assumed tanh), the vocabulary comes from `opts.vocab`, and the model is the reference script's:
 * objective 'next', window 10, dropout 0.
 * Not the training state's owner: it neither builds a Model nor an Optimizer, it only moves numbers.
 */
import {
  CELL_KINDS, DEFAULT_HYPERPARAMETERS, GATES, OBJECTIVES, OPTIMIZERS, validateHyperparameters,
  type CellKind, type Hyperparameters, type ModelConfig, type OptimizerKind,
} from '../config.ts';
import { buildLayout, type ParamLayout } from '../core/params.ts';
import type { RngState } from '../core/rng.ts';
import type { KernelPath } from '../kernels/types.ts';
import { CheckpointError, EngineError, describeChar, groupDigits } from '../text/errors.ts';
import { Vocabulary } from '../text/vocab.ts';
import { decodeSafetensors, encodeSafetensors, showShape, type Tensor } from './safetensors.ts';

export { CheckpointError } from '../text/errors.ts';

export const CHECKPOINT_FORMAT = 'recurrent-workbench/1';

export interface Checkpoint {
  config: ModelConfig;
  /** id → character. */
  vocab: string[];
  /** Flat, in `buildLayout(config)` order. */
  params: Float32Array;
  step: number;
  hyper?: Hyperparameters;
  optimizer?: { kind: OptimizerKind; stepCount: number; buffers: Record<string, Float32Array> };
  rng?: RngState;
  kernelPath?: KernelPath;
  /** Metadata keys the workbench does not interpret, kept as they are. */
  extra?: Record<string, string>;
}

const KEYS = ['format', 'config', 'vocab', 'step', 'rng', 'hyper', 'kernel_path', 'optimizer'] as const;
const KERNEL_PATHS: readonly KernelPath[] = ['typescript', 'wasm-simd', 'wasm-relaxed-simd'];
const OPTIM_PREFIX = 'optim.';
/** What an imported state_dict is assumed to be trained for: the reference script. */
const REFERENCE_DEFAULTS = { window: 10, objective: 'next', dropout: 0 } as const;
/** Names listed in full in an error before "and N more". */
const MAX_LISTED = 8;

export function encodeCheckpoint(c: Checkpoint, opts: { withOptimizer?: boolean } = {}): Uint8Array {
  const config = checkConfig(c.config);
  const layout = buildLayout(config);
  if (c.params.length !== layout.total) {
    throw new CheckpointError(`The parameters hold ${groupDigits(c.params.length)} values; this model has ${groupDigits(layout.total)}.`);
  }
  checkVocab(c.vocab, config.vocabSize, 'the model');
  if (!Number.isSafeInteger(c.step) || c.step < 0) throw new CheckpointError(`The step must be a whole number ≥ 0 (got ${c.step}).`);

  const tensors: Record<string, Tensor> = {};
  for (const spec of layout.specs) tensors[spec.name] = { shape: spec.shape, data: c.params.subarray(spec.offset, spec.offset + spec.size) };

  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(config),
    vocab: JSON.stringify(c.vocab),
    step: String(c.step),
  };
  if (c.rng) metadata.rng = JSON.stringify(c.rng);
  if (c.hyper) metadata.hyper = JSON.stringify(c.hyper);
  if (c.kernelPath) metadata.kernel_path = c.kernelPath;

  if (opts.withOptimizer) {
    const optimizer = c.optimizer;
    if (!optimizer) throw new CheckpointError('A checkpoint with optimizer state was asked for, but no optimizer state was given.');
    metadata.optimizer = JSON.stringify({ kind: optimizer.kind, stepCount: optimizer.stepCount });
    for (const [buffer, flat] of Object.entries(optimizer.buffers)) {
      if (!/^[A-Za-z0-9_]+$/.test(buffer)) throw new CheckpointError(`Optimizer buffer name "${buffer}" must be letters, digits and underscores.`);
      if (flat.length !== layout.total) {
        throw new CheckpointError(`Optimizer buffer "${buffer}" holds ${groupDigits(flat.length)} values; this model has ${groupDigits(layout.total)}.`);
      }
      for (const spec of layout.specs) {
        tensors[`${OPTIM_PREFIX}${buffer}.${spec.name}`] = { shape: spec.shape, data: flat.subarray(spec.offset, spec.offset + spec.size) };
      }
    }
  }

  for (const [key, value] of Object.entries(c.extra ?? {})) {
    if ((KEYS as readonly string[]).includes(key)) throw new CheckpointError(`Extra metadata "${key}" would overwrite the checkpoint's own "${key}".`);
    metadata[key] = value;
  }
  return encodeSafetensors(tensors, metadata);
}

export function decodeCheckpoint(bytes: Uint8Array, opts: { vocab?: string[] } = {}): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const format = metadata.format;
  if (format !== undefined && format.startsWith('recurrent-workbench/') && format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`This checkpoint has format "${format}"; this version of the workbench reads "${CHECKPOINT_FORMAT}". A newer workbench wrote it.`);
  }

  // The architecture: stated in our metadata, else read from the shapes of a PyTorch state_dict.
  let config: ModelConfig;
  let named = tensors;
  if (metadata.config !== undefined) {
    config = checkConfig(parseJson(metadata.config, 'config'));
  } else {
    const inferred = inferArchitecture(tensors);
    config = { ...inferred.architecture, ...REFERENCE_DEFAULTS };
    named = renamePrefix(tensors, inferred.prefix, inferred.architecture.cell);
  }

  const vocab = chooseVocab(metadata.vocab, opts.vocab);
  const embedding = named['embedding.weight'];
  if (embedding && embedding.shape.length === 2 && embedding.shape[0] !== vocab.length) {
    throw new CheckpointError(
      `The vocabulary has ${groupDigits(vocab.length)} characters but embedding.weight has ${groupDigits(embedding.shape[0])} rows (one per character); they must match.`,
    );
  }
  checkVocab(vocab, config.vocabSize, "the checkpoint's config");

  const layout = buildLayout(config);
  const optimizerInfo = metadata.optimizer !== undefined ? parseOptimizerInfo(metadata.optimizer) : undefined;
  checkTensors(named, layout, config, optimizerInfo !== undefined);

  const params = new Float32Array(layout.total);
  for (const spec of layout.specs) params.set(named[spec.name].data, spec.offset);

  const checkpoint: Checkpoint = { config, vocab, params, step: parseStep(metadata.step) };
  if (optimizerInfo) checkpoint.optimizer = { ...optimizerInfo, buffers: gatherOptimizerBuffers(named, layout) };
  if (metadata.rng !== undefined) checkpoint.rng = parseRng(metadata.rng);
  if (metadata.hyper !== undefined) checkpoint.hyper = parseHyper(metadata.hyper);
  if (metadata.kernel_path !== undefined) {
    const path = metadata.kernel_path as KernelPath;
    if (!KERNEL_PATHS.includes(path)) throw new CheckpointError(`The checkpoint names kernel path "${path}"; known paths are ${KERNEL_PATHS.join(', ')}.`);
    checkpoint.kernelPath = path;
  }
  const extra = Object.fromEntries(Object.entries(metadata).filter(([key]) => !(KEYS as readonly string[]).includes(key)));
  if (Object.keys(extra).length > 0) checkpoint.extra = extra;
  return checkpoint;
}

// ---- the architecture of a plain state_dict ----

type Architecture = Pick<ModelConfig, 'cell' | 'layers' | 'vocabSize' | 'embed' | 'hidden'>;

function inferArchitecture(tensors: Record<string, Tensor>): { architecture: Architecture; prefix: string } {
  const expected = 'embedding.weight, <lstm|gru|rnn>.weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0, linear.weight, linear.bias';
  const embedding = tensors['embedding.weight'];
  if (!embedding) {
    throw new CheckpointError(`The file has no tensor "embedding.weight", so it is not a character model the workbench can read (expected ${expected}; it has ${listNames(Object.keys(tensors))}).`);
  }
  if (embedding.shape.length !== 2) throw new CheckpointError(`embedding.weight has shape ${showShape(embedding.shape)}; it must be [vocabulary, embedding size].`);
  const prefixes = CELL_KINDS.filter((p) => tensors[`${p}.weight_hh_l0`] !== undefined);
  if (prefixes.length === 0) {
    throw new CheckpointError(`The file has no recurrent layer: none of lstm.weight_hh_l0, gru.weight_hh_l0, rnn.weight_hh_l0 (expected ${expected}).`);
  }
  if (prefixes.length > 1) throw new CheckpointError(`The file has several recurrent modules (${prefixes.join(', ')}); the workbench reads models with one.`);
  const prefix = prefixes[0];

  const hh = tensors[`${prefix}.weight_hh_l0`];
  if (hh.shape.length !== 2 || hh.shape[1] === 0) throw new CheckpointError(`${prefix}.weight_hh_l0 has shape ${showShape(hh.shape)}; it must be [gates × hidden, hidden].`);
  const [rows, H] = hh.shape;
  const cell = (Object.keys(GATES) as CellKind[]).find((k) => GATES[k] * H === rows);
  if (!cell) {
    throw new CheckpointError(
      `${prefix}.weight_hh_l0 has shape ${showShape(hh.shape)}: its rows must be 4, 3 or 1 times its ${H} columns (LSTM, GRU or RNN).`,
    );
  }
  // A module named for a cell must hold that cell: `lstm.` tensors with a GRU's 3H rows are a mislabelled
  // file, not a GRU. Only `rnn.`, the usual attribute name for any nn.RNNBase module, leaves it to the shapes.
  if (prefix !== 'rnn' && prefix !== cell) {
    const named = prefix as CellKind;
    throw new CheckpointError(
      `${prefix}.weight_hh_l0 has shape ${showShape(hh.shape)}, ${withArticle(cell)}'s (${GATES[cell]} × ${H} rows), but the tensors are named "${prefix}." ` +
        `(${withArticle(named)} has ${GATES[named]} × ${H} = ${GATES[named] * H} rows); the names and the shapes must agree on the cell.`,
    );
  }
  let layers = 0;
  while (tensors[`${prefix}.weight_ih_l${layers}`] !== undefined) layers++;
  if (layers === 0) throw new CheckpointError(`The file has ${prefix}.weight_hh_l0 but no ${prefix}.weight_ih_l0.`);
  return { architecture: { cell, layers, vocabSize: embedding.shape[0], embed: embedding.shape[1], hidden: H }, prefix };
}

/** `rnn.weight_ih_l0` → `lstm.weight_ih_l0` when a generic prefix holds an LSTM (as in the parity fixtures). */
function renamePrefix(tensors: Record<string, Tensor>, prefix: string, cell: CellKind): Record<string, Tensor> {
  if (prefix === cell) return tensors;
  const renamed: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    renamed[name.startsWith(`${prefix}.`) ? `${cell}.${name.slice(prefix.length + 1)}` : name] = t;
  }
  return renamed;
}

// ---- validation ----

/** Every tensor the model needs, at its shape, and nothing else (what load_state_dict(strict=True) demands). */
function checkTensors(named: Record<string, Tensor>, layout: ParamLayout, config: ModelConfig, withOptimizer: boolean): void {
  const missing: string[] = [];
  const wrongShape: string[] = [];
  for (const spec of layout.specs) {
    const t = named[spec.name];
    if (!t) missing.push(spec.name);
    else if (!sameShape(t.shape, spec.shape)) wrongShape.push(`${spec.name} has shape ${showShape(t.shape)} but the model needs ${showShape(spec.shape)}.`);
  }
  const unexpected = Object.keys(named).filter((name) => !layout.has(name) && !(withOptimizer && name.startsWith(OPTIM_PREFIX)));
  if (missing.length + wrongShape.length + unexpected.length === 0) return;

  const problems: string[] = [];
  if (missing.length) problems.push(`Missing tensor${missing.length === 1 ? '' : 's'}: ${listNames(missing)}.`);
  if (unexpected.length) problems.push(`Unexpected tensor${unexpected.length === 1 ? '' : 's'}: ${listNames(unexpected)}.`);
  problems.push(...wrongShape.slice(0, MAX_LISTED));
  if (wrongShape.length > MAX_LISTED) problems.push(`…and ${wrongShape.length - MAX_LISTED} more shape mismatches.`);
  throw new CheckpointError(`The checkpoint does not fit ${describeModel(config)}. ${problems.join(' ')}`);
}

function gatherOptimizerBuffers(named: Record<string, Tensor>, layout: ParamLayout): Record<string, Float32Array> {
  const buffers: Record<string, Float32Array> = {};
  const filled: Record<string, Set<string>> = {};
  for (const [name, t] of Object.entries(named)) {
    if (!name.startsWith(OPTIM_PREFIX)) continue;
    const rest = name.slice(OPTIM_PREFIX.length);
    const dot = rest.indexOf('.');
    const buffer = rest.slice(0, dot);
    const param = rest.slice(dot + 1);
    if (dot <= 0 || !layout.has(param)) throw new CheckpointError(`Optimizer tensor "${name}" names no parameter of this model.`);
    const spec = layout.get(param);
    if (!sameShape(t.shape, spec.shape)) {
      throw new CheckpointError(`Optimizer tensor "${name}" has shape ${showShape(t.shape)} but its parameter has ${showShape(spec.shape)}.`);
    }
    buffers[buffer] ??= new Float32Array(layout.total);
    (filled[buffer] ??= new Set()).add(param);
    buffers[buffer].set(t.data, spec.offset);
  }
  for (const [buffer, params] of Object.entries(filled)) {
    const absent = layout.specs.filter((s) => !params.has(s.name)).map((s) => `${OPTIM_PREFIX}${buffer}.${s.name}`);
    if (absent.length) throw new CheckpointError(`Optimizer buffer "${buffer}" is incomplete: missing ${listNames(absent)}.`);
  }
  return buffers;
}

function checkConfig(value: unknown): ModelConfig {
  if (typeof value !== 'object' || value === null) throw new CheckpointError('The model config must be an object.');
  const c = value as Record<string, unknown>;
  const bad = (field: string, want: string) => new CheckpointError(`The checkpoint's config has ${field} = ${JSON.stringify(c[field])}; expected ${want}.`);
  if (!CELL_KINDS.includes(c.cell as CellKind)) throw bad('cell', CELL_KINDS.join(', '));
  if (!OBJECTIVES.includes(c.objective as ModelConfig['objective'])) throw bad('objective', '"next" or "every"');
  for (const field of ['layers', 'vocabSize', 'embed', 'hidden', 'window'] as const) {
    if (!Number.isSafeInteger(c[field]) || (c[field] as number) < 1) throw bad(field, 'a whole number ≥ 1');
  }
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw bad('dropout', 'a number from 0 to below 1');
  // Only the fields of a ModelConfig, in a fixed order, whatever else the object carried.
  return {
    cell: c.cell as CellKind, layers: c.layers as number, vocabSize: c.vocabSize as number, embed: c.embed as number,
    hidden: c.hidden as number, window: c.window as number, objective: c.objective as ModelConfig['objective'], dropout: c.dropout,
  };
}

function checkVocab(vocab: unknown, size: number, owner: string): void {
  if (!Array.isArray(vocab)) throw new CheckpointError('The vocabulary must be a list of characters.');
  try {
    Vocabulary.fromChars(vocab);
  } catch (err) {
    if (err instanceof EngineError) throw new CheckpointError(`The checkpoint's vocabulary is unusable: ${err.message}`);
    throw err;
  }
  if (vocab.length !== size) {
    throw new CheckpointError(`The vocabulary has ${groupDigits(vocab.length)} characters but ${owner} has a vocabulary size of ${groupDigits(size)}; they must match.`);
  }
}

/** The file's own vocabulary, else the supplied one; both given must agree (the order is the id mapping). */
function chooseVocab(stored: string | undefined, supplied: string[] | undefined): string[] {
  if (stored === undefined) {
    if (supplied === undefined) {
      throw new CheckpointError('This file has no vocabulary (a plain PyTorch state_dict); supply the characters in id order, e.g. the sorted characters of the training text.');
    }
    return [...supplied];
  }
  const vocab = parseJson(stored, 'vocab');
  if (!Array.isArray(vocab) || !vocab.every((ch) => typeof ch === 'string')) throw new CheckpointError('The checkpoint\'s "vocab" must be a JSON list of characters.');
  if (supplied !== undefined) {
    const differs = supplied.length !== vocab.length || supplied.some((ch, i) => ch !== vocab[i]);
    if (differs) {
      const at = supplied.findIndex((ch, i) => ch !== vocab[i]);
      const where = at >= 0 && at < vocab.length && at < supplied.length
        ? ` (id ${at} is ${describeChar(vocab[at])} in the file, ${describeChar(supplied[at])} in the supplied one)`
        : ` (${groupDigits(vocab.length)} characters in the file, ${groupDigits(supplied.length)} supplied)`;
      throw new CheckpointError(`The checkpoint carries its own vocabulary, which differs from the supplied one${where}.`);
    }
  }
  return vocab as string[];
}

// ---- metadata fields ----

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`The checkpoint's "${key}" metadata is not valid JSON.`);
  }
}

function parseStep(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new CheckpointError(`The checkpoint's step is ${JSON.stringify(text)}; expected a whole number.`);
  return Number(text);
}

function parseOptimizerInfo(text: string): { kind: OptimizerKind; stepCount: number } {
  const v = parseJson(text, 'optimizer') as { kind?: unknown; stepCount?: unknown } | null;
  if (!v || !OPTIMIZERS.includes(v.kind as OptimizerKind) || !Number.isSafeInteger(v.stepCount) || (v.stepCount as number) < 0) {
    throw new CheckpointError(`The checkpoint's optimizer is ${text}; expected {"kind": ${OPTIMIZERS.map((k) => `"${k}"`).join(' | ')}, "stepCount": a whole number}.`);
  }
  return { kind: v.kind as OptimizerKind, stepCount: v.stepCount as number };
}

function parseRng(text: string): RngState {
  const v = parseJson(text, 'rng') as { s?: unknown; spare?: unknown } | null;
  const words = v?.s;
  const validWords = Array.isArray(words) && words.length === 4 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
  const validSpare = v?.spare === null || (typeof v?.spare === 'number' && Number.isFinite(v.spare));
  if (!validWords || !validSpare) throw new CheckpointError('The checkpoint\'s random-generator state is malformed; expected {"s": [4 uint32], "spare": number | null}.');
  return { s: [...words] as RngState['s'], spare: v!.spare as number | null };
}

/** Stored settings over today's defaults (a field added later gets its default), then validated. */
function parseHyper(text: string): Hyperparameters {
  const v = parseJson(text, 'hyper');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CheckpointError('The checkpoint\'s hyperparameters must be a JSON object.');
  const hyper = { ...DEFAULT_HYPERPARAMETERS, ...(v as Partial<Hyperparameters>) };
  const errors = Object.values(validateHyperparameters(hyper));
  if (errors.length) throw new CheckpointError(`The checkpoint's hyperparameters are invalid: ${errors.join(' ')}`);
  return hyper;
}

// ---- small helpers ----

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listNames(names: string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

function describeModel(c: ModelConfig): string {
  const layers = `${c.layers} layer${c.layers === 1 ? '' : 's'}`;
  return `${withArticle(c.cell)} model with ${layers}, vocabulary ${groupDigits(c.vocabSize)}, embedding ${c.embed}, hidden ${c.hidden}`;
}

/** "an LSTM", "a GRU", "an RNN". */
function withArticle(cell: CellKind): string {
  return `${cell === 'gru' ? 'a' : 'an'} ${cell.toUpperCase()}`;
}
