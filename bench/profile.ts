/**
 * Where a training step spends its time (`npm run -s bench:profile -- [--cell lstm|gru] [--threads N] [--reference]`):
 * every kernel call of the mid-size workload (or, with --reference, the reference script's) is timed and
 * grouped by operation and shape. The workloads are bench/engine.ts's (bench/workloads.ts). A tool for
 * speed work, not a benchmark of record (the timing wrappers add a little overhead to each call).
 */
import { Command } from 'commander';
import type { CellKind } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { nodeKernelHost } from '../engine/host.ts';
import { createWasmKernels } from '../engine/kernels/wasm/index.ts';
import { Model } from '../engine/model.ts';
import { createOptimizer } from '../engine/optim/index.ts';
import { MID, midConfig, midSetup, seedConfig, seedSetup } from './workloads.ts';

const o = new Command()
  .option('--cell <cell>', 'lstm or gru', 'lstm')
  .option('--threads <n>', 'threads for the products', '1')
  .option('--steps <n>', 'timed steps', '6')
  .option('--reference', 'the reference script\'s model instead of the mid-size one', false)
  .parse().opts<{ cell: CellKind; threads: string; steps: string; reference: boolean }>();

const kernels = await createWasmKernels({ threads: Number(o.threads), ...nodeKernelHost });
await kernels.ready;
const totals = new Map<string, { ms: number; calls: number }>();
const shapes = (args: unknown[]): string => args.filter((a) => typeof a === 'number').slice(-4).join('×');
for (const name of ['matmulABt', 'matmulAB', 'matmulAtB', 'sumRows', 'gatherRows', 'scatterAddRows', 'lstmForwardSteps', 'lstmBackwardSteps', 'gruForwardSteps', 'gruBackwardSteps', 'rnnForwardSteps', 'rnnBackwardSteps', 'lstmCellForward', 'lstmCellBackward', 'gruCellForward',
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

const steps = Number(o.steps) * (o.reference ? 100 : 1);
const { model, batch, lr } = o.reference ? referenceSetup(o.cell) : midRunSetup(o.cell, steps + 2);
model.initParams(new Rng(0));
const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, model.layout.total, model.kernels);
let wall = 0;
for (let k = 0; k < steps + 2; k++) {
  if (k === 2) totals.clear();
  const { inputs, targets, B, T } = batch(k);
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

interface Setup { model: Model; lr: number; batch: (k: number) => { inputs: Int32Array; targets: Int32Array; B: number; T: number } }

function referenceSetup(cell: CellKind): Setup {
  const s = seedSetup();
  return { model: new Model(seedConfig(cell, s.vocab.size), kernels), lr: 0.01, batch: () => s };
}

function midRunSetup(cell: CellKind, steps: number): Setup {
  const m = midSetup(steps);
  return { model: new Model(midConfig(cell, m.V), kernels), lr: MID.lr, batch: (k) => ({ ...m.batches[k], B: MID.B, T: MID.T }) };
}
