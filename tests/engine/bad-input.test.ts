// Bad input gets a clear message, never a stack trace: the training job (corpus, hyperparameters,
// resume bytes, message shape) through the library call, prompts through inference.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { generate, predictNext } from '../../engine/infer/index.ts';
import { UnknownCharactersError } from '../../engine/text/errors.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { train as trainWith, type TrainJob, type TrainResult } from '../../engine/train/trainer.ts';

/** Training as the engine process runs it (engine/worker.ts): WebAssembly kernels through Node's host. */
const train: typeof trainWith = (job, events, control, options) => trainWith(job, events, control, { kernelHost: nodeKernelHost, ...options });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');
const hyper: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, hidden: 8, embed: 4, window: 10, steps: 3, valFraction: 0 };

/** Runs a job that must fail; returns the one error message (and checks nothing else was emitted). */
async function failure(job: unknown): Promise<{ message: string; step: number | null; result: TrainResult }> {
  const errors: { message: string; step: number | null }[] = [];
  const other: string[] = [];
  const result = await train(job as TrainJob, {
    onError: (m) => errors.push(m),
    onReady: () => other.push('ready'),
    onProgress: () => other.push('progress'),
    onDone: () => other.push('done'),
  });
  expect(result.status).toBe('error');
  expect(errors).toHaveLength(1);
  expect(other).toEqual([]);
  const [{ message, step }] = errors;
  expect(message).not.toMatch(/\n\s+at /);
  expect(message).not.toMatch(/^(TypeError|RangeError|Error):/);
  expect(result.message).toBe(message);
  return { message, step, result };
}

let checkpoint: Uint8Array;
beforeAll(async () => {
  const r = await train({ hyper, corpusText: sentence }, { onCheckpoint: (m) => (checkpoint = m.bytes) });
  expect(r.status).toBe('done');
});

describe('bad training jobs', () => {
  it('an empty corpus', async () => {
    expect((await failure({ hyper, corpusText: '' })).message).toBe('The corpus is empty.');
  });

  it('a corpus shorter than window + 1', async () => {
    expect((await failure({ hyper, corpusText: 'Hello RNN!' })).message).toBe('The corpus has 10 characters; a window needs at least 11.');
    // counted in characters, not UTF-16 units
    expect((await failure({ hyper: { ...hyper, window: 5 }, corpusText: '😀😀😀😀😀' })).message).toBe('The corpus has 5 characters; a window needs at least 6.');
  });

  it('no room for the validation split', async () => {
    const { message } = await failure({ hyper: { ...hyper, valFraction: 0.05 }, corpusText: sentence });
    expect(message).toMatch(/^The validation split has 6 characters; a window needs at least 11\./);
  });

  it('window 0, hidden 0, a NaN learning rate (every problem named at once)', async () => {
    expect((await failure({ hyper: { ...hyper, window: 0 }, corpusText: sentence })).message).toBe('Window must be a whole number from 1 to 4096 (got 0).');
    expect((await failure({ hyper: { ...hyper, hidden: 0 }, corpusText: sentence })).message).toBe('Hidden size must be a whole number from 1 to 4096 (got 0).');
    expect((await failure({ hyper: { ...hyper, lr: NaN }, corpusText: sentence })).message).toBe('Learning rate must be a number above 0 and at most 10 (got NaN).');
    const both = await failure({ hyper: { ...hyper, hidden: 0, lr: NaN }, corpusText: sentence });
    expect(both.message).toContain('Hidden size must be');
    expect(both.message).toContain('Learning rate must be');
  });

  it('a malformed start message: no hyperparameters, missing or unknown fields, no corpus', async () => {
    expect((await failure(null)).message).toMatch(/start message must be an object/);
    expect((await failure({ corpusText: sentence })).message).toBe('The start message has no hyperparameters ("hyper" must be an object).');
    expect((await failure({ hyper })).message).toBe('The start message has no corpus ("corpusText" must be a string).');
    const { lr: _lr, ...noLr } = hyper;
    expect((await failure({ hyper: noLr, corpusText: sentence })).message).toBe('Missing hyperparameter: lr.');
    expect((await failure({ hyper: { ...hyper, learningRate: 0.1 }, corpusText: sentence })).message).toBe('Unknown hyperparameter: learningRate.');
    expect((await failure({ hyper, corpusText: sentence, resumeFrom: 'abc' })).message).toMatch(/"resumeFrom" must be the bytes of a checkpoint/);
    expect((await failure({ hyper, corpusText: sentence, sample: { prompt: 'H', length: 0, temperature: 1 } })).message).toBe('The sample length must be a whole number from 1 to 100000 (got 0).');
    expect((await failure({ hyper, corpusText: sentence, sample: { prompt: 'H', length: 10, temperature: 0 } })).message).toBe('The sample temperature must be above 0 and at most 10 (got 0).');
  });

  it('a run too big for memory (a full batch over 1 MiB of text)', async () => {
    const kjv = readFileSync(path.resolve(repoRoot, '../shared/corpora/kjv-1mib.txt'), 'utf8');
    const { message } = await failure({ hyper: { ...hyper, hidden: 64, batch: 'full' }, corpusText: kjv });
    expect(message).toMatch(/^This run would need about \d+\.\d GB of memory \(a full batch of 1048566 windows\); use smaller minibatches/);
  });

  it('a corpus with characters outside the given vocabulary', async () => {
    const { message } = await failure({ hyper, corpusText: sentence, vocab: Vocabulary.fromText('Hello, RNN!').chars });
    expect(message).toMatch(/^The corpus has \d+ characters the vocabulary lacks: "R"|^The corpus has \d+ characters the vocabulary lacks: "c"/);
    expect(message).toContain('"c"');
  });

  it('truncated checkpoint bytes for resume', async () => {
    const cut = await failure({ hyper, corpusText: sentence, resumeFrom: checkpoint.subarray(0, checkpoint.length - 100) });
    expect(cut.message).toMatch(/^Cannot resume from this checkpoint: .*truncated/);
    const stub = await failure({ hyper, corpusText: sentence, resumeFrom: checkpoint.subarray(0, 7) });
    expect(stub.message).toMatch(/^Cannot resume from this checkpoint: .*8-byte header/);
    const empty = await failure({ hyper, corpusText: sentence, resumeFrom: new Uint8Array(0) });
    expect(empty.message).toMatch(/^Cannot resume from this checkpoint: /);
  });

  it('corrupted checkpoint bytes for resume: header, garbage, NaN in the data', async () => {
    const header = new Uint8Array(checkpoint);
    header[20] ^= 0xff;
    expect((await failure({ hyper, corpusText: sentence, resumeFrom: header })).message).toMatch(/^Cannot resume from this checkpoint: .*(corrupted|not safetensors)/);

    const garbage = new Uint8Array(300).map((_, i) => (i * 7919) & 255);
    expect((await failure({ hyper, corpusText: sentence, resumeFrom: garbage })).message).toMatch(/^Cannot resume from this checkpoint: /);

    const nanData = new Uint8Array(checkpoint);
    nanData.fill(0xff, nanData.length - 8); // the last two floats become NaN
    expect((await failure({ hyper, corpusText: sentence, resumeFrom: nanData })).message).toMatch(/^Cannot resume: the checkpoint('s optimizer state "\w+"| holds parameters that) .*NaN or infinite/);
  });

  it('a checkpoint of another architecture or optimizer', async () => {
    expect((await failure({ hyper: { ...hyper, hidden: 9 }, corpusText: sentence, resumeFrom: checkpoint })).message)
      .toBe('Cannot resume: the checkpoint is another architecture (hidden size 8 in the checkpoint, 9 in this run).');
    expect((await failure({ hyper: { ...hyper, optimizer: 'sgd' }, corpusText: sentence, resumeFrom: checkpoint })).message)
      .toBe('Cannot resume: the checkpoint was trained with adam, this run uses sgd.');
  });
});

describe('bad prompts', () => {
  let result: TrainResult;
  beforeAll(async () => {
    result = await train({ hyper, corpusText: sentence }, {});
  });

  it('unknown characters in a prompt: predictNext and generate name them', () => {
    const { model, vocab } = result;
    for (const call of [() => predictNext(model!, vocab!, 'Hi Ωmega™', 3), () => generate(model!, vocab!, 'Hi Ωmega™', 10)]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnknownCharactersError);
      expect((error as UnknownCharactersError).chars).toEqual(['Ω', 'g', '™']);
      expect((error as Error).message).toMatch(/"Ω".*"g".*"™"/);
    }
  });

  it('a sample prompt of unknown characters does not fail the run: it falls back (see resolvePrompt)', async () => {
    const samples: string[] = [];
    const r = await train({ hyper, corpusText: sentence, sample: { prompt: 'ΩΨ', length: 5, temperature: 1 } }, { onCheckpoint: (m) => samples.push(m.sample!.prompt) });
    expect(r.status).toBe('done');
    expect(samples).toEqual(['H']);
  });
});
