/**
 * The playground half of the service: what a stored checkpoint predicts, generates, shows of its
 * gates, and scores on a text; plus importing and exporting checkpoint files. Models come from the
 * LRU cache (main/inference/model-cache.ts); every engine error is turned into a sentence.
 */
import path from 'node:path';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { SAMPLE_LIMITS } from '../../engine/fields.ts';
import { makeWindows, splitCorpus } from '../../engine/data/windows.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../engine/format/checkpoint.ts';
import { generate, predictNext, trace } from '../../engine/infer/index.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { Evaluator } from '../../engine/train/evaluate.ts';
import { resolvePrompt } from '../../engine/train/trainer.ts';
import { ModelCache, type LoadedModel } from '../inference/model-cache.ts';
import type { RunRecord, Storage } from '../storage/index.ts';
import {
  ApiError, type EvaluateResult, type GenerateInput, type Id, type ImportInput, type PredictResult, type TraceResult,
} from './contract.ts';
import { checkpointById } from './service-refs.ts';

export class Playground {
  readonly cache: ModelCache;

  constructor(private readonly storage: Storage, cacheSize = 8) {
    this.cache = new ModelCache(cacheSize);
  }

  async load(checkpointId: Id): Promise<LoadedModel> {
    const summary = checkpointById(this.storage, checkpointId);
    return this.cache.get(checkpointId, () => {
      const bytes = this.storage.checkpoints.bytes(checkpointId);
      return bytes ? { bytes, label: `Checkpoint #${checkpointId} of run "${summary.runName}" (step ${summary.step})` } : null;
    });
  }

  async predict(input: { checkpointId: Id; text: string; k?: number }): Promise<PredictResult> {
    const loaded = await this.load(input.checkpointId);
    const text = requireText(input.text, 'The text');
    refuseUnknown(loaded, text, 'The text');
    const k = input.k ?? 5;
    if (!Number.isInteger(k) || k < 1) throw new ApiError(`k must be a whole number of at least 1 (got ${k}).`);
    const prediction = predictNext(loaded.model, loaded.vocab, text, Math.min(k, loaded.vocab.size));
    return { checkpointId: input.checkpointId, text, top: prediction.top, ...(prediction.note ? { note: prediction.note } : {}) };
  }

  async generate(input: GenerateInput): Promise<{ checkpointId: Id; text: string; prime: string }> {
    const loaded = await this.load(input.checkpointId);
    const prime = input.prime === '' ? this.defaultPrime(input.checkpointId, loaded) : requireText(input.prime, 'The prime');
    refuseUnknown(loaded, prime, 'The prime');
    const { min, max } = SAMPLE_LIMITS.length;
    if (!Number.isInteger(input.length) || input.length < min || input.length > max) {
      throw new ApiError(`The length must be a whole number from ${min} to ${max} (got ${input.length}).`);
    }
    const text = generate(loaded.model, loaded.vocab, prime, input.length, {
      temperature: input.temperature ?? 0.8, topK: input.topK ?? 0, topP: input.topP ?? 1, seed: input.seed ?? 1,
    });
    return { checkpointId: input.checkpointId, text, prime };
  }

  /** What an empty prime stands for: the run's sample prompt (the start of its corpus), as far as the model knows it. */
  private defaultPrime(checkpointId: Id, loaded: LoadedModel): string {
    const run = this.storage.runs.get(checkpointById(this.storage, checkpointId).runId);
    // Ten characters are at most 40 bytes: the opening, never the whole corpus, is read.
    const corpusText = run?.corpusId == null ? '' : this.storage.corpora.head(run.corpusId, 40) ?? '';
    const prompt = run?.sample?.prompt ?? Array.from(corpusText).slice(0, 10).join('');
    return resolvePrompt(prompt, loaded.vocab, corpusText);
  }

  async trace(input: { checkpointId: Id; text: string }): Promise<TraceResult> {
    const loaded = await this.load(input.checkpointId);
    const text = requireText(input.text, 'The text');
    refuseUnknown(loaded, text, 'The text');
    const result = trace(loaded.model, loaded.vocab, text);
    return {
      checkpointId: input.checkpointId, cell: loaded.model.config.cell, chars: result.chars, layers: result.layers,
      ...(result.note ? { note: result.note } : {}),
    };
  }

  /**
   * Loss, bits per character and accuracy over every window of a text: the given text, a corpus, or
   * (neither given) the run's own validation split (its whole corpus when it has no validation).
   */
  async evaluate(input: { checkpointId: Id; corpusId?: Id; text?: string }): Promise<EvaluateResult> {
    const summary = checkpointById(this.storage, input.checkpointId);
    const loaded = await this.load(input.checkpointId);
    const run = this.storage.runs.get(summary.runId)!;
    let text: string;
    let label: string;
    let valFraction = 0;
    if (input.text !== undefined) {
      text = input.text;
      label = 'The text';
    } else if (input.corpusId !== undefined) {
      const corpus = this.storage.corpora.get(input.corpusId);
      if (!corpus) throw new ApiError(`No corpus with id ${input.corpusId}.`, 'not-found');
      text = this.storage.corpora.text(corpus.id)!;
      label = `Corpus "${corpus.name}"`;
    } else {
      if (run.corpusId === null) throw new ApiError(`Run "${run.name}" has no corpus; give a text or a corpus to evaluate on.`);
      text = this.storage.corpora.text(run.corpusId)!;
      valFraction = run.hyper.valFraction;
      label = valFraction > 0 ? `The validation split of "${run.corpusName}"` : `Corpus "${run.corpusName}"`;
    }
    refuseUnknown(loaded, text, label);
    const { config } = loaded.model;
    const ids = loaded.vocab.encode(text);
    const part = valFraction > 0 ? splitCorpus(ids, valFraction).val : ids;
    const stride = run.hyper.stride;
    const set = makeWindows(part, config.window, config.objective, config.objective === run.hyper.objective ? stride : 0, label);
    const result = new Evaluator(loaded.model, set).run();
    return { checkpointId: input.checkpointId, loss: result.loss, bitsPerChar: result.loss / Math.LN2, accuracy: result.accuracy, windows: set.starts.length };
  }

  /** Decodes and checks a safetensors file and stores it as a finished run with one 'imported' checkpoint. */
  importCheckpoint(input: ImportInput): { run: RunRecord } {
    if (!(input.bytes instanceof Uint8Array) || input.bytes.byteLength === 0) throw new ApiError('The checkpoint file is empty.');
    let corpusId: Id | null = null;
    let vocab: string[] | undefined;
    const source = input.vocab;
    if (source && 'corpusId' in source) {
      const corpus = this.storage.corpora.get(source.corpusId);
      if (!corpus) throw new ApiError(`No corpus with id ${source.corpusId}.`, 'not-found');
      corpusId = corpus.id;
      vocab = Vocabulary.fromUtf8(this.storage.corpora.bytes(corpus.id)!).chars;
    } else if (source && 'chars' in source) {
      vocab = Vocabulary.fromChars(source.chars).chars;
    } else if (source && 'text' in source) {
      vocab = Vocabulary.fromText(source.text).chars;
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = decodeCheckpoint(input.bytes, vocab ? { vocab } : {});
    } catch (error) {
      throw new ApiError(`The file is not a checkpoint the workbench can use: ${messageOf(error)}`);
    }
    for (let i = 0; i < checkpoint.params.length; i++) {
      if (!Number.isFinite(checkpoint.params[i])) throw new ApiError('The checkpoint holds parameters that are NaN or infinite; it cannot be used.');
    }
    const hyper: Hyperparameters = checkpoint.hyper ?? {
      ...DEFAULT_HYPERPARAMETERS,
      cell: checkpoint.config.cell, layers: checkpoint.config.layers, hidden: checkpoint.config.hidden, embed: checkpoint.config.embed,
      window: checkpoint.config.window, objective: checkpoint.config.objective, dropout: checkpoint.config.dropout, valFraction: 0,
    };
    // Stored as a complete workbench checkpoint, so it loads later without the outside vocabulary.
    const bytes = encodeCheckpoint(checkpoint, { withOptimizer: checkpoint.optimizer !== undefined });
    const corpusSha256 = corpusId === null ? null : this.storage.corpora.get(corpusId)!.sha256;
    const run = this.storage.transaction(() => {
      const vocabulary = this.storage.vocabularies.getOrCreate(checkpoint.vocab);
      const created = this.storage.runs.create({
        name: this.runName(input.name),
        corpusId,
        vocabularyId: vocabulary.id,
        hyper,
        reproduction: { appVersion: 'imported', kernelPath: checkpoint.kernelPath ?? null, threads: hyper.threads, corpusSha256, seed: hyper.seed, hyper },
        sample: null,
        totalSteps: checkpoint.step,
        status: 'done',
      });
      this.storage.checkpoints.add({ runId: created.id, step: checkpoint.step, kind: 'imported', valLoss: null, trainLoss: null, bytes });
      this.storage.runs.update(created.id, { step: checkpoint.step });
      return this.storage.runs.require(created.id);
    });
    return { run };
  }

  /** Weights only by default (what PyTorch's load_state_dict wants); the optimizer state on request. */
  exportCheckpoint(input: { checkpointId: Id; withOptimizer?: boolean }): { fileName: string; bytes: Uint8Array } {
    const summary = checkpointById(this.storage, input.checkpointId);
    const stored = this.storage.checkpoints.bytes(summary.id)!;
    let checkpoint: Checkpoint;
    try {
      checkpoint = decodeCheckpoint(stored);
    } catch (error) {
      throw new ApiError(`Checkpoint #${summary.id} of run "${summary.runName}" is damaged and cannot be exported: ${messageOf(error)}`);
    }
    const fileName = `${fileSafe(summary.runName)}-step${summary.step}${input.withOptimizer ? '-with-optimizer' : ''}.safetensors`;
    if (input.withOptimizer) {
      if (!checkpoint.optimizer) throw new ApiError(`Checkpoint #${summary.id} has no optimizer state (it holds weights only); export it without the optimizer.`);
      return { fileName, bytes: new Uint8Array(stored) };
    }
    return { fileName, bytes: encodeCheckpoint(checkpoint, { withOptimizer: false }) };
  }

  private runName(given: string | undefined): string {
    if (given !== undefined) return given;
    return this.storage.runs.uniqueName('imported');
  }
}

function requireText(text: unknown, label: string): string {
  if (typeof text !== 'string' || text.length === 0) throw new ApiError(`${label} is empty: type at least one character.`);
  return text;
}

/** Names the characters the checkpoint's vocabulary lacks. */
function refuseUnknown(loaded: LoadedModel, text: string, label: string): void {
  const unknown = loaded.vocab.unknownChars(text);
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 12).map((c) => JSON.stringify(c)).join(', ');
  throw new ApiError(
    `${label} has ${unknown.length === 1 ? 'a character' : `${unknown.length} characters`} that checkpoint #${loaded.checkpointId} does not know: ${shown}${unknown.length > 12 ? ', …' : ''}.`,
  );
}

function fileSafe(name: string): string {
  return path.basename(name).replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 100) || 'checkpoint';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
