/**
 * Where a training step spends its time (`npm run -s bench:profile -- [--cell lstm|gru] [--threads N] [--reference]`):
 * the mid-size model of bench/engine.ts, or with --reference the reference script's (all 92 windows of the
 * seed text as one batch, last step only).
 * every kernel call is timed and grouped by operation and shape. A tool for speed work, not a benchmark
 * of record (the timing wrappers add a little overhead to each call).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellKind } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { fillBatch, makeWindows, sequentialOrder } from '../engine/data/windows.ts';
import { createWasmKernels } from '../engine/kernels/wasm/index.ts';
import { Model } from '../engine/model.ts';
import { createOptimizer } from '../engine/optim/index.ts';
import { Vocabulary } from '../engine/text/vocab.ts';

const here = dirname(fileURLToPath(import.meta.url));
const corpora = join(resolve(here, '..', '..', 'shared'), 'corpora');

const o = new Command()
  .option('--cell <cell>', 'lstm or gru', 'lstm')
  .option('--threads <n>', 'threads for the products', '1')
  .option('--steps <n>', 'timed steps', '6')
  .option('--reference', 'the reference script\'s model instead of the mid-size one', false)
  .parse().opts<{ cell: CellKind; threads: string; steps: string; reference: boolean }>();

const kernels = await createWasmKernels({ threads: Number(o.threads) });
const totals = new Map<string, { ms: number; calls: number }>();
const shapes = (args: unknown[]): string => args.filter((a) => typeof a === 'number').slice(-4).join('×');
for (const name of ['matmulABt', 'matmulAB', 'matmulAtB', 'sumRows', 'lstmCellForward', 'lstmCellBackward', 'gruCellForward',
  'gruCellBackward', 'crossEntropyForward', 'crossEntropyBackward', 'adamStep'] as const) {
  const inner = (kernels as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
  (kernels as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    const t0 = performance.now();
    const result = inner(...args);
    const key = `${name} ${name.startsWith('matmul') ? shapes(args) : ''}`;
    const entry = totals.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += performance.now() - t0;
    entry.calls++;
    totals.set(key, entry);
    return result;
  };
}

const { model, batch, lr } = o.reference ? referenceSetup(o.cell) : midSetup(o.cell);
model.initParams(new Rng(0));
const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, model.layout.total, model.kernels);
const steps = Number(o.steps) * (o.reference ? 100 : 1);
let wall = 0;
for (let k = 0; k < steps + 2; k++) {
  if (k === 2) totals.clear();
  const { inputs, targets, B, T } = batch();
  const t0 = performance.now();
  model.zeroGrads();
  model.forwardBackward(inputs, targets, B, T, null);
  opt.step(model.params, model.grads, lr);
  if (k >= 2) wall += performance.now() - t0;
}
process.stdout.on('error', () => process.exit(0)); // piped into head
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(`${o.cell}, ${kernels.path}, ${o.threads} thread(s): ${(wall / steps).toFixed(1)} ms/step, kernels ${(kernelMs / steps).toFixed(1)} ms`);
for (const [key, v] of rows) {
  console.log(`${(v.ms / steps).toFixed(2).padStart(8)} ms  ${(100 * v.ms / wall).toFixed(1).padStart(5)}%  ${String(v.calls / steps).padStart(5)} calls  ${key}`);
}
kernels.dispose();

interface Setup { model: Model; lr: number; batch: () => { inputs: Int32Array; targets: Int32Array; B: number; T: number } }

/** bench/engine.ts's mid-size run: 2 × 256 units on every step of random kjv windows. */
function midSetup(cell: CellKind): Setup {
  const text = readFileSync(join(corpora, 'kjv-1mib.txt'), 'utf8');
  const vocab = Vocabulary.fromText(text);
  const ids = vocab.encode(text);
  const rng = new Rng(1234);
  const B = 32, T = 64;
  const model = new Model({ cell, layers: 2, vocabSize: vocab.size, embed: 64, hidden: 256, window: T, objective: 'every', dropout: 0 }, kernels);
  return {
    model, lr: 0.002,
    batch: () => {
      const inputs = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      for (let b = 0; b < B; b++) {
        const start = rng.int(ids.length - T - 1);
        inputs.set(ids.subarray(start, start + T), b * T);
        targets.set(ids.subarray(start + 1, start + T + 1), b * T);
      }
      return { inputs, targets, B, T };
    },
  };
}

/** The reference script: every 10-character window of the seed text, one batch, the last step's prediction. */
function referenceSetup(cell: CellKind): Setup {
  const text = readFileSync(join(corpora, 'seed-hello-rnn.txt'), 'utf8');
  const vocab = Vocabulary.fromText(text);
  const set = makeWindows(vocab.encode(text), 10, 'next', 1);
  const B = set.starts.length;
  const inputs = new Int32Array(B * 10);
  const targets = new Int32Array(B);
  fillBatch(set, sequentialOrder(B), 0, B, inputs, targets);
  const model = new Model({ cell, layers: 1, vocabSize: vocab.size, embed: 32, hidden: 64, window: 10, objective: 'next', dropout: 0 }, kernels);
  return { model, lr: 0.01, batch: () => ({ inputs, targets, B, T: 10 }) };
}
