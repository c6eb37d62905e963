/**
 * The PyTorch engine (engine/pytorch, run for real behind main/runs/pytorch-launcher.ts) against the
 * built-in engine on the same jobs, CPU, dropout 0: the launcher hands PyTorch the built-in
 * initialisation and the trainer replays the built-in window order, so per-step training losses agree
 * within 1e-4 relative over 50 steps — for LSTM, GRU and RNN, objectives next and every, 1 and 2
 * layers, each optimizer (with schedules, clipping, momentum and weight decay spread over the cases).
 * Then runs move between engines in both directions and continue as one engine alone would, and a
 * PyTorch checkpoint loads in the built-in engine and in plain torch (load_state_dict strict) and
 * both predict the same distribution. Fails, never skips, when /usr/bin/python3 has no PyTorch.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CellKind, Hyperparameters, Objective, OptimizerKind } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { generate } from '../../engine/infer/generate.ts';
import { softmaxInto } from '../../engine/infer/sampling.ts';
import { BUCKETED_ORDER_ABOVE } from '../../engine/data/windows.ts';
import { deriveSeed, epochOrder } from '../../engine/train/trainer.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { runPython } from './python.ts';
import { KJV_SLICE, REPO, SEED_TEXT, expectSameCurve, requireTorch, runBuiltin, runPytorch, smallHyper, utf8 } from './pytorch-runs.ts';

beforeAll(() => requireTorch());

const OPTIMIZER_SETTINGS: Record<OptimizerKind, Partial<Hyperparameters>[]> = {
  adam: [{ lr: 0.01, clip: 1 }, { lr: 0.005, schedule: 'cosine', weightDecay: 0.001 }],
  sgd: [{ lr: 0.1, momentum: 0.9, schedule: 'step', decayEvery: 20, decayGamma: 0.5 }, { lr: 0.5, clip: 0.5 }],
  // RMSprop's first steps move every weight by about lr·√(1/(1-α)) = 10·lr whatever its gradient, so a hot
  // rate turns float rounding of near-zero gradients into different paths on any two implementations.
  rmsprop: [{ lr: 0.001 }, { lr: 0.001, momentum: 0.5, weightDecay: 0.01, clip: 2 }],
};

interface Case {
  cell: CellKind;
  objective: Objective;
  layers: number;
  optimizer: OptimizerKind;
  over: Partial<Hyperparameters>;
}

// Every cell × optimizer × objective; the layer count alternates so each pair of settings meets 1 and 2 layers.
const CASES: Case[] = (['lstm', 'gru', 'rnn'] as const).flatMap((cell, c) =>
  (['adam', 'sgd', 'rmsprop'] as const).flatMap((optimizer, o) =>
    (['next', 'every'] as const).map((objective, j) => ({
      cell, optimizer, objective, layers: 1 + ((c + o + j) % 2), over: OPTIMIZER_SETTINGS[optimizer][(c + j) % 2],
    })),
  ),
);

describe('the window order', () => {
  it('is the built-in engine\'s, bit for bit, at every size (one draw at a time, vectorised lanes, past a million, bucketed past 2^24)', () => {
    const sizes: [number, number, number][] = [[2, 1, 0], [20, 3, 2], [5000, 3, 7], [123_457, 9, 1], [1_100_003, 42, 3], [BUCKETED_ORDER_ABOVE + 12_345, 42, 3]];
    const script = `
import sys, json, hashlib
sys.path.insert(0, sys.argv[1])
from rng import epoch_order
print(json.dumps([hashlib.sha256(epoch_order(n, seed, epoch, True).tobytes()).hexdigest() for n, seed, epoch in json.loads(sys.argv[2])]))`;
    const theirs = JSON.parse(runPython(script, { args: [`${REPO}/engine/pytorch`, JSON.stringify(sizes)] })) as string[];
    const ours = sizes.map(([n, seed, epoch]) => createHash('sha256').update(epochOrder(n, seed, epoch, true)).digest('hex'));
    expect(theirs).toEqual(ours);
  }, 60_000);
});

describe('the same job gives the same curve on both engines (CPU, first 50 steps, 1e-4 relative)', () => {
  for (const k of CASES) {
    it(`${k.cell} ${k.objective} ${k.layers} layer${k.layers > 1 ? 's' : ''} ${k.optimizer} ${JSON.stringify(k.over)}`, async () => {
      // 'every' cuts the text into windows side by side (11 of them): smaller batches keep them shuffled.
      const hyper = smallHyper({ cell: k.cell, objective: k.objective, layers: k.layers, optimizer: k.optimizer, batch: k.objective === 'every' ? 4 : 16, ...k.over });
      const job = { hyper, corpusBytes: utf8(SEED_TEXT) };
      const builtin = await runBuiltin({ ...job, corpusBytes: utf8(SEED_TEXT) });
      const pytorch = await runPytorch(job);
      expect(pytorch.exit.reason, pytorch.exit.message).toBe('done');
      expect(pytorch.ready).toMatchObject({ engine: 'pytorch', device: 'cpu', kernelPath: null, trainWindows: builtin.ready!.trainWindows, vocabSize: builtin.ready!.vocabSize, parameterCount: builtin.ready!.parameterCount, totalSteps: 50 });
      expect(builtin.ready!.trainWindows).toBeGreaterThan(hyper.batch as number); // shuffled epochs are exercised
      expectSameCurve(builtin.progress, pytorch.progress);
      // Validation losses, learning rates and gradient norms follow too.
      const val = (o: typeof builtin) => o.progress.filter((p) => p.valLoss !== null).map((p) => [p.step, p.valLoss]);
      expect(val(pytorch).map(([s]) => s)).toEqual(val(builtin).map(([s]) => s));
      val(builtin).forEach(([, v], i) => expect(Math.abs(v! - val(pytorch)[i][1]!) / v!).toBeLessThan(1e-4));
      builtin.progress.forEach((p, i) => {
        expect(pytorch.progress[i].lr).toBeCloseTo(p.lr, 12);
        expect(Math.abs(pytorch.progress[i].gradNorm - p.gradNorm) / p.gradNorm).toBeLessThan(1e-3);
      });
    }, 60_000);
  }
});

describe('a run moves between engines and continues as one engine alone would', () => {
  const settings: Partial<Hyperparameters>[] = [
    { optimizer: 'adam', lr: 0.005, clip: 5 },
    { optimizer: 'sgd', lr: 0.1, momentum: 0.9, schedule: 'cosine' },
    { optimizer: 'rmsprop', lr: 0.001, momentum: 0.5 },
  ];
  for (const over of settings) {
    const hyper = smallHyper({ cell: 'lstm', layers: 2, objective: 'every', hidden: 24, window: 16, batch: 8, steps: 40, checkpointEvery: 20, ...over });
    const job = () => ({ hyper, corpusBytes: utf8(KJV_SLICE) });

    it(`${over.optimizer}: built-in 20 steps → PyTorch continues to 40: the built-in straight run's losses`, async () => {
      const straight = await runBuiltin(job());
      const at20 = straight.checkpoints.find((c) => c.kind === 'periodic' && c.step === 20)!;
      const continued = await runPytorch({ ...job(), resumeFrom: at20.bytes });
      expect(continued.exit.reason, continued.exit.message).toBe('done');
      expect(continued.progress[0].step).toBe(21);
      expectSameCurve(straight.progress.slice(20), continued.progress);
    }, 60_000);

    it(`${over.optimizer}: PyTorch 20 steps → built-in continues to 40: the PyTorch straight run's losses`, async () => {
      const straight = await runPytorch(job());
      expect(straight.exit.reason, straight.exit.message).toBe('done');
      const at20 = straight.checkpoints.find((c) => c.kind === 'periodic' && c.step === 20)!;
      const continued = await runBuiltin({ ...job(), resumeFrom: at20.bytes });
      expect(continued.error).toBeNull();
      expect(continued.progress[0].step).toBe(21);
      expectSameCurve(straight.progress.slice(20), continued.progress);
      // The counters crossed too: elapsed time goes on from the checkpoint's.
      expect(continued.progress[0].elapsedMs).toBeGreaterThanOrEqual(straight.progress[19].elapsedMs - 1000);
    }, 60_000);
  }
});

describe('validation, early stopping and checkpoints happen at the same steps on both engines', () => {
  it('evaluations, best checkpoints, the early stop and its final checkpoint', async () => {
    const hyper = smallHyper({ steps: 400, evalEvery: 5, earlyStopPatience: 2, checkpointEvery: 15, lr: 0.03 });
    const builtin = await runBuiltin({ hyper, corpusBytes: utf8(SEED_TEXT) });
    const pytorch = await runPytorch({ hyper, corpusBytes: utf8(SEED_TEXT) });
    expect(builtin.done!.status).toBe('early-stopped');
    expect(pytorch.done).toMatchObject({ status: 'early-stopped', step: builtin.done!.step });
    const kinds = (o: typeof builtin) => o.checkpoints.map((c) => `${c.kind}@${c.step}`);
    expect(kinds(pytorch)).toEqual(kinds(builtin));
    expect(Math.abs(pytorch.done!.valLoss! - builtin.done!.valLoss!) / builtin.done!.valLoss!).toBeLessThan(1e-4);
  }, 60_000);
});

describe('a PyTorch checkpoint is a workbench checkpoint', () => {
  it('loads in the built-in engine and in plain torch (strict), and both predict the same distribution', async () => {
    const hyper = smallHyper({ cell: 'gru', layers: 2, objective: 'next', steps: 30 });
    const run = await runPytorch({ hyper, corpusBytes: utf8(SEED_TEXT), sample: { prompt: SEED_TEXT.slice(0, 5), length: 40, temperature: 0.8 } });
    const final = run.checkpoints.find((c) => c.kind === 'final')!;
    expect(final.sample?.text).toHaveLength(40);
    const checkpoint = decodeCheckpoint(final.bytes);
    expect(checkpoint.step).toBe(30);
    expect(checkpoint.optimizer?.kind).toBe('adam');
    expect(checkpoint.extra).toMatchObject({ engine: 'pytorch', 'engine.device': 'cpu' });
    const vocab = Vocabulary.fromChars(checkpoint.vocab);
    const model = new Model(checkpoint.config);
    model.params.set(checkpoint.params);
    const prompt = SEED_TEXT.slice(0, 8);
    const ids = vocab.encode(prompt);
    const probs = new Float64Array(vocab.size);
    softmaxInto(probs, model.logits(Int32Array.from(ids), 1, ids.length), vocab.size);

    const script = `
import sys, json
sys.path.insert(0, sys.argv[1])
import torch
from safetensors import decode
from model import CharModel
tensors, meta = decode(sys.stdin.buffer.read())
model = CharModel(json.loads(meta['config']))
model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items() if not k.startswith('optim.')}, strict=True)
ids = json.loads(sys.argv[2])
with torch.no_grad():
    logits, _ = model(torch.tensor([ids]))
print(json.dumps(torch.softmax(logits[0].double(), -1).tolist()))`;
    const torchProbs = JSON.parse(runPythonBytes(script, final.bytes, [`${REPO}/engine/pytorch`, JSON.stringify(Array.from(ids))])) as number[];
    torchProbs.forEach((p, i) => expect(Math.abs(p - probs[i])).toBeLessThan(1e-5));

    // The checkpoint's sample is the one the built-in engine draws from these weights with the run's sample seed.
    const SAMPLE_STREAM = 0x73616d70;
    const seed = deriveSeed(deriveSeed(hyper.seed, SAMPLE_STREAM), 30);
    expect(final.sample!.text).toBe(generate(model, vocab, final.sample!.prompt, 40, { temperature: 0.8, seed }));
  }, 60_000);
});

/** runPython with bytes on stdin. */
function runPythonBytes(script: string, input: Uint8Array, args: string[]): string {
  return runPython(script, { args, input: Buffer.from(input) as unknown as string });
}
