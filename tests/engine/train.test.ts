// Training as a library call: events, epochs and steps, validation, checkpoints, samples, the NaN guard,
// early stopping, stop/pause, seeding, and a few steps on the Chinese corpus (V = 2,579).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { buildLayout } from '../../engine/core/params.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import { Model } from '../../engine/model.ts';
import { createOptimizer } from '../../engine/optim/index.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { predictNext } from '../../engine/infer/predict.ts';
import { Rng } from '../../engine/core/rng.ts';
import { makeWindows } from '../../engine/data/windows.ts';
import { Evaluator } from '../../engine/train/evaluate.ts';
import { checkFinite } from '../../engine/train/guard.ts';
import { TrainingError } from '../../engine/train/validate.ts';
import {
  NO_CONTROL, epochOrder, resolvePrompt, train as trainWith,
  type CheckpointMessage, type DoneMessage, type ErrorMessage, type ProgressMessage, type ReadyMessage, type TrainControl,
} from '../../engine/train/trainer.ts';

/** Training as the engine process runs it (engine/worker.ts): WebAssembly kernels through Node's host. */
const train: typeof trainWith = (job, events, control, options) => trainWith(job, events, control, { kernelHost: nodeKernelHost, ...options });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = (name: string) => readFileSync(path.resolve(repoRoot, '../shared/corpora', name), 'utf8');
const sentence = corpus('seed-hello-rnn.txt');

const small: Hyperparameters = {
  ...DEFAULT_HYPERPARAMETERS,
  hidden: 16, embed: 8, window: 8, batch: 16, steps: 30, lr: 0.01,
  valFraction: 0.2, evalEvery: 10, checkpointEvery: 10, seed: 7,
};

/** Trains on from a checkpoint at step 4 holding `model`'s (doctored) parameters and a fresh Adam state. */
async function resumeAtStep4(model: Model, vocab: Vocabulary, hyper: Hyperparameters) {
  const opt = createOptimizer(hyper, model.layout.total);
  const bytes = encodeCheckpoint(
    { config: model.config, vocab: vocab.chars, params: model.params, step: 4, hyper, optimizer: { kind: 'adam', stepCount: 4, buffers: opt.state() } },
    { withOptimizer: true },
  );
  const { ev, events } = recorder();
  const result = await train({ hyper, corpusText: sentence, resumeFrom: bytes }, events);
  return { result, ev };
}

function recorder() {
  const ev = {
    ready: [] as ReadyMessage[], progress: [] as ProgressMessage[], checkpoint: [] as CheckpointMessage[],
    done: [] as DoneMessage[], error: [] as ErrorMessage[],
  };
  const events = {
    onReady: (m: ReadyMessage) => ev.ready.push(m),
    onProgress: (m: ProgressMessage): unknown => ev.progress.push(m),
    onCheckpoint: (m: CheckpointMessage) => ev.checkpoint.push(m),
    onDone: (m: DoneMessage) => ev.done.push(m),
    onError: (m: ErrorMessage) => ev.error.push(m),
  };
  return { ev, events };
}

describe('train (library call)', () => {
  it('runs a minibatch job with validation: ready, one progress per step, periodic + best + final checkpoints, done', async () => {
    const { ev, events } = recorder();
    const result = await train({ hyper: small, corpusText: sentence }, events, NO_CONTROL, { kernels: referenceKernels });
    expect(ev.error).toEqual([]);
    expect(result.status).toBe('done');

    // 102 chars → train 81 (floor of 102·0.8), val 21; window 8 → 73 and 13 windows
    const [ready] = ev.ready;
    expect(ready.trainWindows).toBe(73);
    expect(ready.valWindows).toBe(13);
    expect(ready.totalSteps).toBe(30);
    expect(ready.vocabSize).toBe(28);
    expect(ready.parameterCount).toBe(buildLayout({ cell: 'lstm', layers: 1, vocabSize: 28, embed: 8, hidden: 16 }).total);

    expect(ev.progress.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const p of ev.progress) {
      expect(p.type).toBe('progress');
      expect(p.totalSteps).toBe(30);
      expect(p.trainLossAvg).toBe(p.trainLoss); // one step per event
      expect(p.bitsPerChar).toBeCloseTo(p.trainLoss / Math.LN2, 12);
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.accuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(p.gradNorm) && p.gradNorm > 0).toBe(true);
      expect(p.lr).toBe(0.01);
      expect(p.epoch).toBe(p.step / 5); // ceil(73 / 16) = 5 batches per epoch
      expect(p.elapsedMs).toBeGreaterThan(0);
      // validation exactly every 10 steps (and the last step, 30, is one of them)
      if (p.step % 10 === 0) {
        expect(p.valLoss).not.toBeNull();
        expect(p.valBitsPerChar).toBeCloseTo(p.valLoss! / Math.LN2, 12);
        expect(p.valAccuracy).not.toBeNull();
      } else {
        expect(p.valLoss).toBeNull();
      }
    }
    // the loss goes down on this tiny text
    expect(ev.progress[29].trainLoss).toBeLessThan(ev.progress[0].trainLoss);

    const kinds = ev.checkpoint.map((c) => `${c.kind}@${c.step}`);
    expect(kinds.filter((k) => k.startsWith('periodic'))).toEqual(['periodic@10', 'periodic@20']);
    expect(kinds[kinds.length - 1]).toBe('final@30');
    // a 'best' checkpoint exactly at the evaluations that improved the validation loss
    let best = Infinity;
    const expectedBest: string[] = [];
    for (const p of ev.progress) {
      if (p.valLoss !== null && p.valLoss < best) {
        best = p.valLoss;
        expectedBest.push(`best@${p.step}`);
      }
    }
    expect(kinds.filter((k) => k.startsWith('best'))).toEqual(expectedBest);
    expect(expectedBest[0]).toBe('best@10');

    const [done] = ev.done;
    expect(done).toEqual({ type: 'done', status: 'done', step: 30, trainLoss: ev.progress[29].trainLoss, valLoss: ev.progress[29].valLoss });

    // the final checkpoint is the trained model, with optimizer state and hyperparameters
    const final = decodeCheckpoint(ev.checkpoint[ev.checkpoint.length - 1].bytes);
    expect(final.step).toBe(30);
    expect(final.hyper).toEqual(small);
    expect(final.optimizer?.kind).toBe('adam');
    expect(final.optimizer?.stepCount).toBe(30);
    expect(Object.keys(final.optimizer!.buffers).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(Array.from(final.params)).toEqual(Array.from(result.model!.params));
    expect(final.vocab).toEqual(Vocabulary.fromText(sentence).chars);
  });

  it('counts epochs as passes over the windows: full batch = one step per epoch; minibatches = ceil(windows / batch)', async () => {
    const full = recorder();
    await train({ hyper: { ...small, batch: 'full', steps: null, epochs: 3, valFraction: 0, checkpointEvery: 0 }, corpusText: sentence }, full.events);
    expect(full.ev.ready[0].trainWindows).toBe(94); // 102 − 8
    expect(full.ev.ready[0].totalSteps).toBe(3);
    expect(full.ev.progress.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(full.ev.checkpoint.map((c) => c.kind)).toEqual(['final']);

    const mini = recorder();
    await train({ hyper: { ...small, batch: 30, steps: null, epochs: 2, valFraction: 0, checkpointEvery: 0 }, corpusText: sentence }, mini.events);
    expect(mini.ev.ready[0].totalSteps).toBe(8); // ceil(94 / 30) = 4 per epoch
    expect(mini.ev.done[0].step).toBe(8);
    // step k of an epoch of n batches is epoch e + k/n, even though 4 × 30 > 94 (the last batch has 4 windows)
    expect(mini.ev.progress.map((p) => p.epoch)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(mini.ev.progress[mini.ev.progress.length - 1].epoch).toBe(2);
  });

  it('shuffles each epoch from (seed, epoch): a permutation, different per epoch and seed, identity for full batch', () => {
    const a = epochOrder(50, 7, 0, true);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 7, 0, true)).toEqual(a);
    expect(epochOrder(50, 7, 1, true)).not.toEqual(a);
    expect(epochOrder(50, 8, 0, true)).not.toEqual(a);
    expect(Array.from(epochOrder(50, 7, 3, false))).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is seeded: the same seed gives the same run bit for bit (dropout included), another seed another run', async () => {
    const hyper = { ...small, layers: 2, dropout: 0.3, steps: 12, checkpointEvery: 0 };
    const run = async (seed: number) => {
      const r = recorder();
      const res = await train({ hyper: { ...hyper, seed }, corpusText: sentence }, r.events);
      return { losses: r.ev.progress.map((p) => p.trainLoss), params: Array.from(res.model!.params) };
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('reports every N steps with progressEvery, trainLossAvg = the mean of the steps since the previous event', async () => {
    const each = recorder();
    await train({ hyper: { ...small, steps: 9, valFraction: 0, checkpointEvery: 0 }, corpusText: sentence }, each.events);
    const sparse = recorder();
    await train({ hyper: { ...small, steps: 9, valFraction: 0, checkpointEvery: 0 }, corpusText: sentence, progressEvery: 4 }, sparse.events);
    expect(sparse.ev.progress.map((p) => p.step)).toEqual([4, 8, 9]);
    const losses = each.ev.progress.map((p) => p.trainLoss);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(sparse.ev.progress[0].trainLoss).toBe(losses[3]);
    expect(sparse.ev.progress[0].trainLossAvg).toBeCloseTo(mean(losses.slice(0, 4)), 12);
    expect(sparse.ev.progress[1].trainLossAvg).toBeCloseTo(mean(losses.slice(4, 8)), 12);
    expect(sparse.ev.progress[2].trainLossAvg).toBeCloseTo(losses[8], 12);
  });

  it('generates a sample at each checkpoint; an out-of-vocabulary prompt drops to its longest known suffix', async () => {
    const { ev, events } = recorder();
    await train(
      { hyper: { ...small, steps: 20, valFraction: 0 }, corpusText: sentence, sample: { prompt: 'Ω Hello', length: 12, temperature: 0.8 } },
      events,
    );
    expect(ev.checkpoint.map((c) => c.kind)).toEqual(['periodic', 'final']);
    for (const c of ev.checkpoint) {
      expect(c.sample).toBeDefined();
      expect(c.sample!.prompt).toBe(' Hello'); // 'Ω' is not in the sentence
      expect(Array.from(c.sample!.text)).toHaveLength(12);
      expect(c.sample!.temperature).toBe(0.8);
      expect(c.sample!.length).toBe(12);
      expect(Vocabulary.fromText(sentence).unknownChars(c.sample!.text)).toEqual([]);
    }
    const vocab = Vocabulary.fromText(sentence);
    expect(resolvePrompt('Hello', vocab, sentence)).toBe('Hello');
    expect(resolvePrompt('ΩΨ', vocab, sentence)).toBe('H'); // nothing known: the corpus's first character
    expect(resolvePrompt('', vocab, sentence)).toBe('H');
  });

  it('stops with an error naming the step and a hint when the loss turns NaN/Inf', async () => {
    // A checkpoint whose weights are huge: the logits overflow float32 on the next forward.
    const hyper = { ...small, valFraction: 0, steps: 10, checkpointEvery: 0 };
    const vocab = Vocabulary.fromText(sentence);
    const model = new Model({ cell: 'lstm', layers: 1, vocabSize: vocab.size, embed: 8, hidden: 16, window: 8, objective: 'next', dropout: 0 });
    // every unit saturated at h = o·tanh(c) = tanh(1) > 0, output weights at float32's maximum:
    // each logit is 16 · 0.76 · 3e38, beyond float32's range.
    const H = 16;
    const bias = model.layout.view(model.params, 'lstm.bias_ih_l0');
    [100, -100, 100, 100].forEach((v, gate) => bias.fill(v, gate * H, (gate + 1) * H));
    model.layout.view(model.params, 'linear.weight').fill(3e38);
    const { result, ev } = await resumeAtStep4(model, vocab, hyper);
    expect(result.status).toBe('error');
    expect(ev.done).toEqual([]);
    expect(ev.error).toHaveLength(1);
    expect(ev.error[0].step).toBe(5);
    expect(ev.error[0].message).toMatch(/^Training diverged at step 5: the (loss|gradient norm) became (NaN|Infinity|-Infinity)\. Try to lower the learning rate \(now 0\.01\) or enable gradient clipping/);
    expect(ev.error[0].message).not.toMatch(/\n\s+at /); // no stack
  });

  it('stops with an error naming the gradient norm and the step when the loss is finite but the gradients are not', async () => {
    // Zero embeddings keep every gate input at its bias, so the loss stays finite; input weights at
    // float32's maximum then overflow the gradient flowing back into the embedding.
    const hyper = { ...small, valFraction: 0, steps: 10, checkpointEvery: 0 };
    const vocab = Vocabulary.fromText(sentence);
    const model = new Model({ cell: 'lstm', layers: 1, vocabSize: vocab.size, embed: 8, hidden: 16, window: 8, objective: 'next', dropout: 0 });
    model.initParams(new Rng(1));
    model.layout.view(model.params, 'embedding.weight').fill(0);
    model.layout.view(model.params, 'lstm.weight_ih_l0').fill(3e38);
    const head = model.layout.view(model.params, 'linear.weight');
    for (let i = 0; i < head.length; i++) head[i] *= 100; // a strong gradient into h
    const { result, ev } = await resumeAtStep4(model, vocab, hyper);
    expect(result.status).toBe('error');
    expect(ev.progress).toEqual([]);
    expect(ev.error).toHaveLength(1);
    expect(ev.error[0].step).toBe(5);
    expect(ev.error[0].message).toMatch(/^Training diverged at step 5: the gradient norm became (NaN|Infinity)\. Try to lower the learning rate \(now 0\.01\) or enable gradient clipping/);

    // the guard itself: a finite loss does not excuse a NaN or infinite norm, with or without clipping
    const messageOf = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(TrainingError);
        return { message: (e as TrainingError).message, step: (e as TrainingError).step };
      }
      throw new Error('expected a TrainingError');
    };
    expect(messageOf(() => checkFinite(12, 2.5, NaN, 0.001, 5))).toEqual({
      message: 'Training diverged at step 12: the gradient norm became NaN. Try to lower the learning rate (now 0.001) or clip harder (now 5).',
      step: 12,
    });
    expect(messageOf(() => checkFinite(3, 2.5, Infinity, 0.01, 0)).message).toMatch(/^Training diverged at step 3: the gradient norm became Infinity\./);
    expect(() => checkFinite(3, 2.5, 1e30, 0.01, 0)).not.toThrow();
  });

  it('lets the event loop in between the chunks of a long validation pass (stop, pause and the parent check stay prompt)', async () => {
    // batch 16: validation goes in chunks of max(32, batch) windows; 204 validation characters give 196 windows, 7 chunks
    const text = sentence.repeat(4);
    const hyper = { ...small, steps: 1, valFraction: 0.5, evalEvery: 1, checkpointEvery: 0 };
    const { ev, events } = recorder();
    const progressAtYield: number[] = [];
    const control: TrainControl = { ...NO_CONTROL, yieldToEventLoop: async () => void progressAtYield.push(ev.progress.length) };
    await train({ hyper, corpusText: text }, events, control, { yieldEveryMs: 0 });
    expect(ev.error).toEqual([]);
    expect(ev.ready[0].valWindows).toBe(196);
    // step 1's validation runs before its progress event: the yields seen with no progress yet came from inside it
    expect(progressAtYield.filter((n) => n === 0)).toHaveLength(6);

    // the yielding pass is the synchronous pass, number for number
    const vocab = Vocabulary.fromText(text);
    const model = new Model({ cell: 'lstm', layers: 1, vocabSize: vocab.size, embed: 8, hidden: 16, window: 8, objective: 'next', dropout: 0 });
    model.initParams(new Rng(2));
    const evaluator = new Evaluator(model, makeWindows(vocab.encode(text), 8, 'next', 1), 100);
    let yields = 0;
    const yielded = await evaluator.runYielding(async () => void yields++, 0);
    expect(yielded).toEqual(evaluator.run());
    expect(yields).toBe(Math.ceil(evaluator.windows / 100) - 1); // between chunks, not after the last
  });

  it('early-stops after `patience` evaluations without a better validation loss (status early-stopped)', async () => {
    // Adam at a high rate on 81 characters overfits within a few dozen steps: validation loss turns up.
    const hyper = { ...small, lr: 0.05, batch: 'full' as const, steps: 400, evalEvery: 5, earlyStopPatience: 3, checkpointEvery: 0 };
    const { ev, events } = recorder();
    const result = await train({ hyper, corpusText: sentence }, events);
    const vals = ev.progress.filter((p) => p.valLoss !== null).map((p) => ({ step: p.step, loss: p.valLoss! }));
    // replay the rule over the observed validation losses
    let best = Infinity;
    let since = 0;
    let stopAt: number | null = null;
    for (const v of vals) {
      if (v.loss < best) {
        best = v.loss;
        since = 0;
      } else if (++since >= 3) {
        stopAt = v.step;
        break;
      }
    }
    expect(stopAt).not.toBeNull(); // this setting does overfit
    expect(result.status).toBe('early-stopped');
    expect(ev.done[0].status).toBe('early-stopped');
    expect(ev.done[0].step).toBe(stopAt);
    expect(vals[vals.length - 1].step).toBe(stopAt);
    expect(ev.checkpoint[ev.checkpoint.length - 1].kind).toBe('final');
    expect(ev.checkpoint.filter((c) => c.kind === 'best').every((c) => c.valLoss! >= best)).toBe(true);
    expect(ev.checkpoint.filter((c) => c.kind === 'best').pop()!.valLoss).toBe(best);
  });

  it('honours stop and pause from the control object', async () => {
    const hyper = { ...small, steps: 1000, valFraction: 0, checkpointEvery: 0 };
    let stop = false;
    let paused = false;
    let release: (() => void) | null = null;
    const waits: number[] = [];
    const control: TrainControl = {
      shouldStop: () => stop,
      waitIfPaused: async (step) => {
        if (paused) {
          waits.push(step);
          await new Promise<void>((resolve) => (release = resolve));
        }
      },
    };
    const { ev, events } = recorder();
    const onProgress = events.onProgress;
    events.onProgress = (m) => {
      onProgress(m);
      if (m.step === 5) paused = true;
    };
    const running = train({ hyper, corpusText: sentence }, events, control);
    while (release === null) await new Promise((r) => setTimeout(r, 5));
    expect(waits).toEqual([5]);
    // The trainer is parked on the promise waitIfPaused returned: until `release` runs, no step can.
    expect(ev.progress).toHaveLength(5);
    paused = false;
    events.onProgress = (m) => {
      onProgress(m);
      if (m.step === 12) stop = true;
    };
    (release as unknown as () => void)();
    const result = await running;
    expect(result.status).toBe('stopped');
    expect(ev.done).toEqual([{ type: 'done', status: 'stopped', step: 12, trainLoss: ev.progress[11].trainLoss, valLoss: null }]);
    expect(ev.checkpoint.map((c) => `${c.kind}@${c.step}`)).toEqual(['final@12']);
  });

  it('trains a few minibatch steps on tang300 (V = 2,579) and the vocabulary survives the checkpoint round trip', async () => {
    const tang = corpus('tang300.txt');
    const hyper: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, hidden: 16, embed: 8, window: 6, batch: 32, steps: 4, valFraction: 0.01, evalEvery: 4, checkpointEvery: 0, seed: 5 };
    const { ev, events } = recorder();
    const result = await train({ hyper, corpusText: tang }, events);
    expect(ev.error).toEqual([]);
    expect(result.status).toBe('done');
    expect(ev.ready[0].vocabSize).toBe(2579);
    expect(ev.progress).toHaveLength(4);
    for (const p of ev.progress) expect(p.trainLoss).toBeGreaterThan(Math.log(2579) * 0.9); // barely trained
    expect(ev.progress[3].valLoss).not.toBeNull();

    const final = decodeCheckpoint(ev.checkpoint[ev.checkpoint.length - 1].bytes);
    const vocab = Vocabulary.fromText(tang);
    expect(final.vocab).toEqual(vocab.chars);
    expect(final.vocab).toContain('月');
    expect(final.config.vocabSize).toBe(2579);
    // Same kernels as the trained model: exact equality then tests the checkpoint, not float ordering.
    const loaded = new Model(final.config, result.model!.kernels);
    loaded.params.set(final.params);
    const ours = predictNext(result.model!, result.vocab!, '床前明月光', 3);
    const theirs = predictNext(loaded, Vocabulary.fromChars(final.vocab), '床前明月光', 3);
    expect(theirs).toEqual(ours);
  });
});
