/**
 * Training as a library call: a start message in (hyperparameters, corpus text, optional checkpoint
 * bytes to resume), events out (ready, progress, checkpoint, done, error — the protocol's EngineMessage
 * shapes), driven by a control object (stop, pause). The worker process is a thin wrapper around this.
 *
 * One step: zero grads → forward/backward on one minibatch → global grad norm (clip) → NaN/Inf guard →
 * optimizer step at lr(step). An epoch is one pass over the training windows in minibatches of `batch`
 * (the last one smaller when it does not divide); 'full' = every window in one batch.
 *
 * Determinism and exact resume: one seed fixes everything. The initial parameters come from Rng(seed);
 * epoch e's order is a Fisher–Yates shuffle by an Rng seeded from (seed, e), so the batch at any step
 * follows from the step alone; dropout draws from its own Rng whose state the checkpoint saves. A run
 * resumed from a checkpoint at step k therefore repeats the straight run's steps k+1… bit for bit.
 *
 * Not here: the file format (engine/format), the process plumbing (worker.ts, host.ts).
 */
import { memoryEstimate, modelConfigOf, type Hyperparameters } from '../config.ts';
import { Rng } from '../core/rng.ts';
import { batchesPerEpoch as countBatches, effectiveStride, fillBatch, makeWindows, sequentialOrder, shuffledOrder, splitCorpus, type WindowSet } from '../data/windows.ts';
import { batchSize, totalSteps as plannedSteps } from './run-length.ts';
import { kernelsFor, loadKernels, type WasmKernelHost } from '../kernels/index.ts';
import type { Kernels } from '../kernels/types.ts';
import { Model } from '../model.ts';
import { clipGradNorm, createOptimizer, learningRateAt } from '../optim/index.ts';
import type { CheckpointKind, EngineMessage, ProgressMetrics } from '../protocol.ts';
import { Vocabulary, idArrayFor, type TokenIds } from '../text/vocab.ts';
import { generate } from '../infer/generate.ts';
import { encodeTrainerCheckpoint, readResumePoint, type ResumePoint, type TrainerCounters } from './checkpoint.ts';
import { Evaluator, type EvalResult } from './evaluate.ts';
import { BlowUpGuard, EarlyStopping, checkFinite } from './guard.ts';
import { TrainingError, errorMessage, validateJob, type TrainJob } from './validate.ts';

export { TrainingError, type TrainJob } from './validate.ts';

type Msg<T extends EngineMessage['type']> = Extract<EngineMessage, { type: T }>;
export type ReadyMessage = Msg<'ready'>;
export type ProgressMessage = Msg<'progress'>;
export type CheckpointMessage = Msg<'checkpoint'>;
export type DoneMessage = Msg<'done'>;
export type ErrorMessage = Msg<'error'>;

export interface TrainerEvents {
  onReady?(msg: ReadyMessage): void;
  onProgress?(msg: ProgressMessage): void;
  onCheckpoint?(msg: CheckpointMessage): void;
  onDone?(msg: DoneMessage): void;
  onError?(msg: ErrorMessage): void;
}

/** How the caller steers a run: polled between steps. `waitIfPaused` resolves when the run may go on. */
export interface TrainControl {
  shouldStop(): boolean;
  waitIfPaused(step: number): Promise<void>;
  /** Lets pending messages in; defaults to a zero timeout. */
  yieldToEventLoop?(): Promise<void>;
}

export interface TrainOptions {
  /** Reported in the ready message. */
  pid?: number;
  /** Use these kernels instead of choosing (tests). */
  kernels?: Kernels;
  /** Lets the WebAssembly kernels load (Node: `nodeKernelHost` from engine/host.ts); without it, TypeScript kernels. */
  kernelHost?: WasmKernelHost;
  /** Yield to the event loop at least this often during training (ms; default 20). */
  yieldEveryMs?: number;
}

export type TrainStatus = DoneMessage['status'] | 'error';

export interface TrainResult {
  status: TrainStatus;
  step: number;
  trainLoss: number;
  valLoss: number | null;
  /** Set when status is 'error'. */
  message?: string;
  /** The trained model and its vocabulary (absent when the run failed before building them). */
  model?: Model;
  vocab?: Vocabulary;
}

export const NO_CONTROL: TrainControl = { shouldStop: () => false, waitIfPaused: async () => {} };

/** Refuse runs whose weights and activations would not fit in an engine process. */
const MAX_TRAINING_BYTES = 4 * 2 ** 30;

/**
 * Validation windows per chunk: about a training batch, so a validation pass lets the event loop in
 * (between chunks) about as often as training does (between steps); never so few that it crawls.
 */
const evalChunkFor = (B: number) => Math.min(1024, Math.max(32, B));

const STREAM_DROPOUT = 0x64726f70;
const STREAM_SHUFFLE = 0x73687566;
const STREAM_SAMPLE = 0x73616d70;

/** A well-mixed seed for one stream of a run (murmur3's finaliser over seed and stream). */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Epoch e's window order: identity for full-batch runs, else a shuffle seeded from (seed, e) alone. */
export function epochOrder(count: number, seed: number, epoch: number, shuffle: boolean, into?: Int32Array): Int32Array {
  return shuffle ? shuffledOrder(count, new Rng(deriveSeed(deriveSeed(seed, STREAM_SHUFFLE), epoch)), into) : sequentialOrder(count, into);
}

/** The prompt a checkpoint sample starts from: its longest in-vocabulary suffix, else the corpus's first character. */
export function resolvePrompt(prompt: string, vocab: Vocabulary, corpusStart: string): string {
  const chars = Array.from(prompt);
  let from = chars.length;
  while (from > 0 && vocab.has(chars[from - 1])) from--;
  const suffix = chars.slice(from).join('');
  if (suffix.length > 0) return suffix;
  const first = String.fromCodePoint(corpusStart.codePointAt(0) ?? 32);
  return vocab.has(first) ? first : vocab.chars[0];
}

const now = () => performance.now();
const defaultYield = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function train(
  job: TrainJob,
  events: TrainerEvents,
  control: TrainControl = NO_CONTROL,
  options: TrainOptions = {},
): Promise<TrainResult> {
  let step: number | null = null;
  let model: Model | undefined;
  let vocab: Vocabulary | undefined;
  try {
    const run = await prepare(job, options);
    model = run.model;
    vocab = run.vocab;
    step = run.step;
    const result = await loop(run, job, events, control, options, (s) => (step = s));
    return { ...result, model, vocab };
  } catch (e) {
    const message = e instanceof TrainingError || isReadable(e) ? errorMessage(e) : `Internal error in the engine: ${errorMessage(e)}`;
    const atStep = e instanceof TrainingError && e.step !== null ? e.step : step;
    events.onError?.({ type: 'error', message, step: atStep });
    return { status: 'error', step: atStep ?? 0, trainLoss: NaN, valLoss: null, message, model, vocab };
  }
}

/** Errors from our own modules that were written for a person (EngineError subclasses, RangeErrors with text). */
function isReadable(e: unknown): boolean {
  return e instanceof Error && (('code' in e && typeof (e as { code: unknown }).code === 'string') || e instanceof RangeError);
}

interface PreparedRun {
  hyper: Hyperparameters;
  vocab: Vocabulary;
  model: Model;
  optimizer: ReturnType<typeof createOptimizer>;
  dropoutRng: Rng;
  trainSet: WindowSet;
  valSet: WindowSet | null;
  B: number;
  batchesPerEpoch: number;
  totalSteps: number;
  step: number;
  counters: TrainerCounters;
  /** The corpus's first character (what a sample falls back to). */
  corpusStart: string;
}

async function prepare(rawJob: TrainJob, options: TrainOptions): Promise<PreparedRun> {
  const job = validateJob(rawJob);
  const hyper = job.hyper;
  const resume: ResumePoint | null = job.resumeFrom ? readResumePoint(job.resumeFrom, hyper, job.vocab) : null;

  const corpus = corpusOf(job);
  const vocab = resume
    ? Vocabulary.fromChars(resume.checkpoint.vocab)
    : job.vocab
      ? Vocabulary.fromChars(job.vocab)
      : corpus.fromCorpus();
  const unknown = corpus.unknownChars(vocab);
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
    throw new TrainingError(`The corpus has ${unknown.length} character${unknown.length > 1 ? 's' : ''} the vocabulary lacks: ${shown}${unknown.length > 10 ? ', …' : ''}.`);
  }
  const ids = corpus.encode(vocab);
  const corpusStart = ids.length > 0 ? vocab.chars[ids[0]] : '';
  // The bytes are ids now: let go of them, so a big corpus is not held twice while it trains.
  delete job.corpusBytes;
  const { train: trainIds, val: valIds } = splitCorpus(ids, hyper.valFraction);
  const stride = effectiveStride(hyper.window, hyper.objective, hyper.stride);
  const trainSet = makeWindows(trainIds, hyper.window, hyper.objective, stride);
  const valSet = hyper.valFraction > 0 ? makeWindows(valIds, hyper.window, hyper.objective, stride) : null;
  const nTrain = trainSet.starts.length;
  if (nTrain === 0) throw new TrainingError(`The training text has ${trainIds.length} characters; a window needs at least ${hyper.window + 1}.`);
  if (valSet && valSet.starts.length === 0) {
    throw new TrainingError(`The validation split has ${valIds.length} characters; a window needs at least ${hyper.window + 1}. Lower the window, raise the validation fraction, or set it to 0.`);
  }

  const bytesNeeded = memoryEstimate(hyper, vocab.size, nTrain);
  if (bytesNeeded > MAX_TRAINING_BYTES) {
    const gb = (bytesNeeded / 2 ** 30).toFixed(1);
    const batchNote = hyper.batch === 'full' ? `a full batch of ${nTrain} windows` : `batches of ${hyper.batch}`;
    throw new TrainingError(`This run would need about ${gb} GB of memory (${batchNote}); use smaller minibatches, a shorter window or a smaller model.`);
  }
  const kernels = options.kernels ?? (await chooseKernels(job, resume, options.kernelHost));
  const model = new Model(modelConfigOf(hyper, vocab.size), kernels);
  const optimizer = createOptimizer(hyper, model.layout.total, kernels);
  let dropoutRng = new Rng(deriveSeed(hyper.seed, STREAM_DROPOUT));
  let step = 0;
  let counters: TrainerCounters = { early: { best: Infinity, evalsSinceBest: 0 }, elapsedMs: 0, lastValLoss: null, lastTrainLoss: NaN };
  if (resume) {
    if (resume.checkpoint.params.length !== model.layout.total) {
      throw new TrainingError(`Cannot resume: the checkpoint has ${resume.checkpoint.params.length} parameters, this model ${model.layout.total}.`);
    }
    model.params.set(resume.checkpoint.params);
    optimizer.loadState(resume.optimizer.stepCount, resume.optimizer.buffers);
    if (resume.rng) dropoutRng = Rng.fromState(resume.rng);
    step = resume.step;
    counters = resume.counters;
  } else {
    model.initParams(new Rng(hyper.seed));
  }

  const B = batchSize(hyper, nTrain);
  const batchesPerEpoch = countBatches(nTrain, B);
  const totalSteps = job.targetSteps ?? plannedSteps(hyper, nTrain);
  return { hyper, vocab, model, optimizer, dropoutRng, trainSet, valSet, B, batchesPerEpoch, totalSteps, step, counters, corpusStart };
}

/** The corpus of a job, text or UTF-8 bytes, behind one face: its vocabulary, unknown characters and ids. */
function corpusOf(job: TrainJob): { fromCorpus(): Vocabulary; unknownChars(vocab: Vocabulary): string[]; encode(vocab: Vocabulary): TokenIds } {
  const bytes = job.corpusBytes;
  if (bytes) {
    return { fromCorpus: () => Vocabulary.fromUtf8(bytes), unknownChars: (v) => v.unknownCharsUtf8(bytes), encode: (v) => v.encodeUtf8(bytes) };
  }
  const text = job.corpusText ?? '';
  return {
    fromCorpus: () => Vocabulary.fromText(text),
    unknownChars: (v) => v.unknownChars(text),
    encode: (v) => {
      const wide = v.encode(text);
      const ids = idArrayFor(v.size, wide.length);
      ids.set(wide);
      return ids;
    },
  };
}

async function chooseKernels(job: TrainJob, resume: ResumePoint | null, host: WasmKernelHost | undefined): Promise<Kernels> {
  // 0 = automatic: a host decides (main's run manager does); called as a library, one thread.
  const threads = Math.max(1, job.hyper.threads);
  if (resume?.kernelPath) {
    try {
      return await kernelsFor(resume.kernelPath, threads, host);
    } catch {
      // The checkpoint's path is not available here: continue on another (close, but not bit-exact).
    }
  }
  return loadKernels(job.kernelPath, threads, host);
}

async function loop(
  run: PreparedRun,
  job: TrainJob,
  events: TrainerEvents,
  control: TrainControl,
  options: TrainOptions,
  setStep: (s: number) => void,
): Promise<Omit<TrainResult, 'model' | 'vocab'>> {
  const { hyper, vocab, model, optimizer, trainSet, valSet, B, batchesPerEpoch, totalSteps } = run;
  const T = hyper.window;
  const nTrain = trainSet.starts.length;
  const rowsPerWindow = hyper.objective === 'every' ? T : 1;
  const inputs = new Int32Array(B * T); // (B, T) ids
  const targets = new Int32Array(B * rowsPerWindow); // (B) or (B, T) ids
  const shuffle = B < nTrain;
  // A shuffled run makes its order at its first step: two orders of a big corpus at once would not fit.
  let order = shuffle ? new Int32Array(0) : epochOrder(nTrain, hyper.seed, 0, false);
  let orderEpoch = -1; // a full batch keeps the identity order throughout
  const evaluator = valSet ? new Evaluator(model, valSet, evalChunkFor(B)) : null;
  const early = new EarlyStopping(hyper.earlyStopPatience);
  const blowUp = new BlowUpGuard(vocab.size);
  early.setState(run.counters.early);
  const progressEvery = job.progressEvery ?? 1;
  const yieldEveryMs = options.yieldEveryMs ?? 20;
  const yieldNow = control.yieldToEventLoop ?? defaultYield;

  let step = run.step;
  let lastTrainLoss = run.counters.lastTrainLoss;
  let lastValLoss = run.counters.lastValLoss;
  let lastEvalStep = -1;
  const startedAt = now();
  let pausedMs = 0;
  const elapsed = () => run.counters.elapsedMs + (now() - startedAt - pausedMs);
  let windowLossSum = 0;
  let windowSteps = 0;
  let windowChars = 0;
  let windowStart = elapsed();
  let lastYield = now();

  const emitCheckpoint = (kind: CheckpointKind, valLoss: number | null) => {
    const bytes = encodeTrainerCheckpoint({
      model, optimizer, vocab: vocab.chars, hyper, step, dropoutRng: run.dropoutRng.getState(),
      counters: { early: early.getState(), elapsedMs: elapsed(), lastValLoss, lastTrainLoss },
    });
    const msg: CheckpointMessage = { type: 'checkpoint', step, kind, valLoss, trainLoss: lastTrainLoss, bytes };
    if (job.sample) {
      const prompt = resolvePrompt(job.sample.prompt, vocab, run.corpusStart);
      const { length, temperature } = job.sample;
      const text = generate(model, vocab, prompt, length, { temperature, seed: deriveSeed(deriveSeed(hyper.seed, STREAM_SAMPLE), step) });
      msg.sample = { prompt, text, temperature, length };
    }
    events.onCheckpoint?.(msg);
  };
  const evaluate = async (): Promise<EvalResult | null> => {
    if (!evaluator) return null;
    const r = await evaluator.runYielding(yieldNow, yieldEveryMs);
    lastEvalStep = step;
    lastValLoss = r.loss;
    return r;
  };

  events.onReady?.({
    type: 'ready', pid: options.pid ?? 0, kernelPath: model.kernels.path, threads: Math.max(1, hyper.threads), totalSteps,
    trainWindows: nTrain, valWindows: valSet ? valSet.starts.length : 0, vocabSize: vocab.size, parameterCount: model.layout.total,
  });

  let status: DoneMessage['status'] = 'done';
  while (step < totalSteps) {
    if (control.shouldStop()) {
      status = 'stopped';
      break;
    }
    const pauseStart = now();
    await control.waitIfPaused(step);
    pausedMs += now() - pauseStart;
    if (control.shouldStop()) {
      status = 'stopped';
      break;
    }

    const epoch = Math.floor(step / batchesPerEpoch);
    if (shuffle && epoch !== orderEpoch) {
      order = epochOrder(nTrain, hyper.seed, epoch, true, order); // once per epoch, in place
      orderEpoch = epoch;
    }
    const from = (step % batchesPerEpoch) * B;
    const Bstep = Math.min(B, nTrain - from);
    fillBatch(trainSet, order, from, Bstep, inputs, targets);
    model.zeroGrads();
    const r = model.forwardBackward(inputs, targets, Bstep, T, hyper.dropout > 0 ? run.dropoutRng : null);
    const gradNorm = clipGradNorm(model.grads, hyper.clip, model.kernels);
    const lr = learningRateAt(hyper, step, totalSteps);
    checkFinite(step + 1, r.loss, gradNorm, lr, hyper.clip);
    blowUp.record(step + 1, r.loss, lr, hyper.clip);
    optimizer.step(model.params, model.grads, lr);
    step++;
    setStep(step);
    lastTrainLoss = r.loss;
    windowLossSum += r.loss;
    windowSteps++;
    windowChars += Bstep * T;

    let val: EvalResult | null = null;
    if (evaluator && (step % hyper.evalEvery === 0 || step === totalSteps)) val = await evaluate();

    if (step % progressEvery === 0 || val || step === totalSteps) {
      const t = elapsed();
      const metrics: ProgressMetrics = {
        step,
        epoch: step / batchesPerEpoch, // the last batch may be short: count batches, not windows
        trainLoss: r.loss,
        trainLossAvg: windowLossSum / windowSteps,
        valLoss: val ? val.loss : null,
        bitsPerChar: r.loss / Math.LN2,
        valBitsPerChar: val ? val.loss / Math.LN2 : null,
        accuracy: r.count > 0 ? r.correct / r.count : 0,
        valAccuracy: val ? val.accuracy : null,
        gradNorm,
        lr,
        charsPerSec: t > windowStart ? (windowChars * 1000) / (t - windowStart) : 0,
        elapsedMs: t,
        totalSteps,
      };
      events.onProgress?.({ type: 'progress', ...metrics });
      windowLossSum = 0;
      windowSteps = 0;
      windowChars = 0;
      windowStart = t;
    }
    if (val) {
      if (!Number.isFinite(val.loss)) checkFinite(step, val.loss, 0, lr, hyper.clip);
      if (early.record(val.loss)) emitCheckpoint('best', val.loss);
    }
    if (hyper.checkpointEvery > 0 && step % hyper.checkpointEvery === 0 && step !== totalSteps) emitCheckpoint('periodic', lastValLoss);
    if (val && early.shouldStop) {
      status = 'early-stopped';
      break;
    }
    if (now() - lastYield >= yieldEveryMs) {
      await yieldNow();
      lastYield = now();
    }
  }

  if (status === 'done' && evaluator && lastEvalStep !== step) {
    const val = await evaluate();
    if (val && early.record(val.loss)) emitCheckpoint('best', val.loss);
  }
  emitCheckpoint('final', lastValLoss);
  events.onDone?.({ type: 'done', status, step, trainLoss: lastTrainLoss, valLoss: lastValLoss });
  return { status, step, trainLoss: lastTrainLoss, valLoss: lastValLoss };
}
