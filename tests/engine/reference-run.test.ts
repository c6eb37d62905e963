// The reference run: the reference PyTorch script's job on its own sentence (window 10, E 32, H 64,
// one layer, objective 'next', full batch, Adam lr 0.01, 500 epochs, no validation) must end with a
// loss below 0.01 and predict the next character of every one of the 92 windows; with an LSTM and a GRU.
// The two runs go at once, each in its own engine process (engine/worker.ts, as the workbench runs
// them), so two cores share the work; the final checkpoint is then loaded here and asked for each window.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, type CellKind } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { generate, predictNext } from '../../engine/infer/index.ts';
import { Model } from '../../engine/model.ts';
import { engineMessagesOf, type EngineMessage, type EngineSend, type StartMessage } from '../../engine/protocol.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');

// 500 full-batch steps of 92×10 characters: minutes on the TypeScript reference kernels of a busy
// machine, seconds on the WebAssembly ones.
const TIMEOUT = 900_000;

interface RunOutcome {
  ready: Extract<EngineMessage, { type: 'ready' }>;
  done: Extract<EngineMessage, { type: 'done' }>;
  final: Extract<EngineMessage, { type: 'checkpoint' }>;
  lastProgress: Extract<EngineMessage, { type: 'progress' }>;
  errors: string[];
  seconds: number;
}

const children: ChildProcess[] = [];

function referenceRun(cell: CellKind): Promise<RunOutcome> {
  const hyper = { ...PRESETS.reference.hyper, cell };
  const child = fork(path.resolve(repoRoot, 'engine/worker.ts'), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', cwd: repoRoot });
  children.push(child);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const seen: Partial<RunOutcome> = { errors: [] };
    child.on('message', (sent: EngineSend) => {
      for (const m of engineMessagesOf(sent)) {
        if (m.type === 'ready') seen.ready = m;
        else if (m.type === 'progress') seen.lastProgress = m;
        else if (m.type === 'checkpoint' && m.kind === 'final') seen.final = m;
        else if (m.type === 'error') seen.errors!.push(m.message);
        else if (m.type === 'done') seen.done = m;
      }
    });
    child.on('exit', (code) => {
      seen.seconds = (performance.now() - t0) / 1000;
      if (!seen.done) reject(new Error(`The ${cell} engine exited (code ${code}) without finishing: ${seen.errors!.join(' ')}`));
      else resolve(seen as RunOutcome);
    });
    const start: StartMessage = { type: 'start', hyper, corpusText: sentence, progressEvery: 50 };
    child.send(start);
  });
}

function expectReferenceResult(cell: CellKind, run: RunOutcome) {
  console.info(`reference run (${cell}, ${run.ready.kernelPath} kernels, own process): ${run.seconds.toFixed(1)} s, final loss ${run.done.trainLoss.toExponential(3)}`);
  expect(run.errors).toEqual([]);
  expect(run.ready).toMatchObject({ totalSteps: 500, trainWindows: 92, valWindows: 0, vocabSize: 28 });
  expect(run.done).toMatchObject({ status: 'done', step: 500 });
  expect(run.lastProgress).toMatchObject({ step: 500, epoch: 500, accuracy: 1 });
  expect(run.done.trainLoss).toBeLessThan(0.01);

  const checkpoint = decodeCheckpoint(run.final.bytes);
  expect(checkpoint.step).toBe(500);
  expect(checkpoint.hyper).toMatchObject({ window: 10, embed: 32, hidden: 64, layers: 1, objective: 'next', batch: 'full', optimizer: 'adam', lr: 0.01, epochs: 500, steps: null, valFraction: 0, cell });
  const model = new Model(checkpoint.config);
  model.params.set(checkpoint.params);
  const vocab = Vocabulary.fromChars(checkpoint.vocab);

  const chars = Array.from(sentence);
  expect(chars).toHaveLength(102);
  const wrong: string[] = [];
  let windows = 0;
  for (let s = 0; s + 10 < chars.length; s++, windows++) {
    const window = chars.slice(s, s + 10).join('');
    const p = predictNext(model, vocab, window, 1);
    expect(p.note).toBeUndefined();
    if (p.top[0].char !== chars[s + 10]) wrong.push(`${JSON.stringify(window)} → ${JSON.stringify(p.top[0].char)} (want ${JSON.stringify(chars[s + 10])})`);
  }
  expect(windows).toBe(92);
  expect(wrong).toEqual([]);
  // and so greedy generation from the first window writes out the rest of the sentence
  expect(generate(model, vocab, chars.slice(0, 10).join(''), 92, { temperature: 0 })).toBe(chars.slice(10).join(''));
}

describe('the reference run', () => {
  let lstm: Promise<RunOutcome>;
  let gru: Promise<RunOutcome>;
  beforeAll(() => {
    lstm = referenceRun('lstm');
    gru = referenceRun('gru');
    // a failure is reported by the test that awaits it
    lstm.catch(() => {});
    gru.catch(() => {});
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('LSTM: loss below 0.01, then all 92 windows predicted', { timeout: TIMEOUT }, async () => {
    expectReferenceResult('lstm', await lstm);
  });

  it('GRU: loss below 0.01, then all 92 windows predicted', { timeout: TIMEOUT }, async () => {
    expectReferenceResult('gru', await gru);
  });
});
