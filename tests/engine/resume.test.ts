// Exact resume: N steps straight = k steps + checkpoint (encode → bytes → decode) + resume + N − k steps,
// bit for bit in the parameters, the optimizer state and every loss, including mid-epoch k with
// shuffled minibatches and dropout.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { train as trainWith, type CheckpointMessage, type ProgressMessage } from '../../engine/train/trainer.ts';

/** Training as the engine process runs it (engine/worker.ts): WebAssembly kernels through Node's host. */
const train: typeof trainWith = (job, events, control, options) => trainWith(job, events, control, { kernelHost: nodeKernelHost, ...options });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');

const base: Hyperparameters = {
  ...DEFAULT_HYPERPARAMETERS,
  hidden: 16, embed: 8, window: 8, valFraction: 0.2, evalEvery: 3, seed: 11, checkpointEvery: 0,
};

async function run(hyper: Hyperparameters, resumeFrom?: Uint8Array) {
  const progress: ProgressMessage[] = [];
  const checkpoints: CheckpointMessage[] = [];
  const errors: string[] = [];
  const result = await train({ hyper, corpusText: sentence, resumeFrom }, {
    onProgress: (m) => progress.push(m),
    onCheckpoint: (m) => checkpoints.push(m),
    onError: (m) => errors.push(m.message),
  });
  expect(errors).toEqual([]);
  return { result, progress, checkpoints };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function expectExactResume(hyper: Hyperparameters, N: number, k: number) {
  const straight = await run({ ...hyper, steps: N, checkpointEvery: k });
  const at = straight.checkpoints.find((c) => c.kind === 'periodic' && c.step === k);
  expect(at).toBeDefined();
  const bytes = new Uint8Array(at!.bytes); // a copy: only the bytes carry the state
  const resumed = await run({ ...hyper, steps: N, checkpointEvery: k }, bytes);

  const pick = (ps: ProgressMessage[]) => ps.filter((p) => p.step > k).map((p) => [p.step, p.trainLoss, p.gradNorm, p.accuracy, p.valLoss, p.lr]);
  expect(resumed.progress[0].step).toBe(k + 1);
  expect(pick(resumed.progress)).toEqual(pick(straight.progress));
  expect(bits(resumed.result.model!.params)).toEqual(bits(straight.result.model!.params));

  const finalOf = (r: typeof straight) => decodeCheckpoint(r.checkpoints[r.checkpoints.length - 1].bytes);
  const a = finalOf(straight);
  const b = finalOf(resumed);
  expect(b.step).toBe(N);
  expect(b.optimizer!.stepCount).toBe(a.optimizer!.stepCount);
  for (const name of Object.keys(a.optimizer!.buffers)) expect(bits(b.optimizer!.buffers[name])).toEqual(bits(a.optimizer!.buffers[name]));
  expect(b.rng).toEqual(a.rng);
  // later checkpoints (periodic and best) agree too
  const later = (r: typeof straight) => r.checkpoints.filter((c) => c.step > k).map((c) => `${c.kind}@${c.step}:${c.valLoss}`);
  expect(later(resumed)).toEqual(later(straight));
}

describe('exact resume', () => {
  it('LSTM, 2 layers with dropout, shuffled minibatches, resumed mid-epoch (k = 7 of 5 batches per epoch)', async () => {
    // 73 training windows, batch 16 → 5 batches per epoch (the last of 9); step 7 is inside epoch 2
    await expectExactResume({ ...base, layers: 2, dropout: 0.3, batch: 16 }, 16, 7);
  });

  it('GRU, objective every, SGD with momentum and a step schedule, clipping', async () => {
    await expectExactResume(
      { ...base, cell: 'gru', objective: 'every', batch: 3, optimizer: 'sgd', momentum: 0.9, lr: 0.5, schedule: 'step', decayEvery: 4, decayGamma: 0.5, clip: 1 },
      14, 5,
    );
  });

  it('RNN, RMSprop with a cosine schedule and weight decay, full batch', async () => {
    await expectExactResume({ ...base, cell: 'rnn', batch: 'full', optimizer: 'rmsprop', momentum: 0.5, weightDecay: 0.01, lr: 0.005, schedule: 'cosine' }, 10, 4);
  });

  it('keeps the early-stopping count across a resume', async () => {
    const hyper = { ...base, lr: 0.05, batch: 'full' as const, evalEvery: 2, earlyStopPatience: 4 };
    const straight = await run({ ...hyper, steps: 200, checkpointEvery: 6 });
    const stopStep = straight.result.step;
    expect(straight.result.status).toBe('early-stopped');
    // resume from the last periodic checkpoint before the stop: it must stop at the same step
    const before = straight.checkpoints.filter((c) => c.kind === 'periodic' && c.step < stopStep).pop()!;
    const resumed = await run({ ...hyper, steps: 200, checkpointEvery: 6 }, before.bytes);
    expect(resumed.result.status).toBe('early-stopped');
    expect(resumed.result.step).toBe(stopStep);
    expect(bits(resumed.result.model!.params)).toEqual(bits(straight.result.model!.params));
  });

  it('extends a finished run with targetSteps: continuing to 12 equals running 12 straight', async () => {
    const hyper = { ...base, batch: 16 };
    const short = await run({ ...hyper, steps: 6 });
    const final6 = short.checkpoints[short.checkpoints.length - 1];
    expect(final6.kind).toBe('final');
    const long = await run({ ...hyper, steps: 12 });
    const progress: ProgressMessage[] = [];
    const result = await train({ hyper: { ...hyper, steps: 6 }, corpusText: sentence, resumeFrom: final6.bytes, targetSteps: 12 }, { onProgress: (m) => progress.push(m) });
    expect(result.step).toBe(12);
    // same parameters; the lr and the evaluation schedule do not depend on the total with a constant schedule
    expect(bits(result.model!.params)).toEqual(bits(long.result.model!.params));
    expect(progress.map((p) => p.trainLoss)).toEqual(long.progress.slice(6).map((p) => p.trainLoss));
  });
});
