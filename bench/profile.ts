/**
 * Where a mid-size training step spends its time (`npm run bench:profile -- [--cell lstm|gru] [--threads N]`):
 * every kernel call is timed and grouped by operation and shape. A tool for speed work, not a benchmark
 * of record (the timing wrappers add a little overhead to each call).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellKind } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { createWasmKernels } from '../engine/kernels/wasm/index.ts';
import { Model } from '../engine/model.ts';
import { createOptimizer } from '../engine/optim/index.ts';
import { Vocabulary } from '../engine/text/vocab.ts';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(resolve(here, '..', '..', 'shared'), 'corpora', 'kjv-1mib.txt');
const MID = { B: 32, T: 64, E: 64, H: 256, L: 2, lr: 0.002 };

const o = new Command()
  .option('--cell <cell>', 'lstm or gru', 'lstm')
  .option('--threads <n>', 'threads for the products', '1')
  .option('--steps <n>', 'timed steps', '6')
  .parse().opts<{ cell: CellKind; threads: string; steps: string }>();

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

const text = readFileSync(corpus, 'utf8');
const vocab = Vocabulary.fromText(text);
const ids = vocab.encode(text);
const rng = new Rng(1234);
const { B, T } = MID;
const model = new Model({ cell: o.cell, layers: MID.L, vocabSize: vocab.size, embed: MID.E, hidden: MID.H, window: T, objective: 'every', dropout: 0 }, kernels);
model.initParams(new Rng(0));
const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, model.layout.total, model.kernels);
const steps = Number(o.steps);
let wall = 0;
for (let k = 0; k < steps + 2; k++) {
  if (k === 2) totals.clear();
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = rng.int(ids.length - T - 1);
    inputs.set(ids.subarray(start, start + T), b * T);
    targets.set(ids.subarray(start + 1, start + T + 1), b * T);
  }
  const t0 = performance.now();
  model.zeroGrads();
  model.forwardBackward(inputs, targets, B, T, null);
  opt.step(model.params, model.grads, MID.lr);
  if (k >= 2) wall += performance.now() - t0;
}
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(`${o.cell}, ${kernels.path}, ${o.threads} thread(s): ${(wall / steps).toFixed(1)} ms/step, kernels ${(kernelMs / steps).toFixed(1)} ms`);
for (const [key, v] of rows) {
  console.log(`${(v.ms / steps).toFixed(2).padStart(8)} ms  ${(100 * v.ms / wall).toFixed(1).padStart(5)}%  ${String(v.calls / steps).padStart(5)} calls  ${key}`);
}
kernels.dispose();
