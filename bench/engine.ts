/**
 * The engine benchmark (`npm run bench`): our training speed on the workbench's two benchmark
 * configurations, next to PyTorch's on the same machine (../shared/anchors/torch_bench.py) when
 * /usr/bin/python3 has torch.
 *
 *   reference  Embedding(V,32) → LSTM|GRU(64) → last step → Linear; all 92 windows of
 *              seed-hello-rnn.txt as one batch; Adam 0.01. ms/epoch = median over runs of 500 epochs.
 *   mid        Embedding(V,64) → 2 × LSTM|GRU(256) → Linear on every step; window 64, batch 32;
 *              Adam 0.002; random windows of kjv-1mib.txt. chars/s = B·T / median step time.
 *
 * Driven through the public API (Model, createOptimizer, predictNext, generate), like training is.
 * `ratio` is ours / PyTorch in the measurement's own unit: below 1 is faster for ms/epoch, above 1
 * is faster for chars/s. Our runs are interleaved around PyTorch's (before and after) so both see
 * the same machine; medians and spread (max-min)/median over every run are reported.
 *
 *   npm run bench [-- --json] [--only reference|mid] [--kernels typescript|wasm] [--threads N] [--no-torch] [--quick]
 */
import { Command } from 'commander';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellKind, ModelConfig } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { makeWindows, sequentialOrder, fillBatch } from '../engine/data/windows.ts';
import { generate, predictNext } from '../engine/infer/index.ts';
import { referenceKernels } from '../engine/kernels/reference.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { createWasmKernels, type WasmKernels } from '../engine/kernels/wasm/index.ts';
import { Model } from '../engine/model.ts';
import { createOptimizer } from '../engine/optim/index.ts';
import { Vocabulary } from '../engine/text/vocab.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SHARED = resolve(here, '..', '..', 'shared');
const SEED_CORPUS = join(SHARED, 'corpora', 'seed-hello-rnn.txt');
const MID_CORPUS = join(SHARED, 'corpora', 'kjv-1mib.txt');
const TORCH_BENCH = join(SHARED, 'anchors', 'torch_bench.py');
const PYTHON = '/usr/bin/python3';

interface Options {
  json: boolean;
  only?: string;
  kernels?: string;
  threads: string;
  torch: boolean;
  quick: boolean;
}

interface TorchFigures {
  msPerEpoch?: number;
  charsPerSec?: number;
  gflops?: number;
  finalLoss: number;
  spread: number;
  threads: number;
  blas: string[];
  referenceBlas: boolean;
  otherCpu: number;
}

interface Measurement {
  name: string;
  cell: CellKind;
  threads: number;
  kernelPath: string;
  msPerEpoch?: number;
  charsPerSec?: number;
  gflops?: number;
  finalLoss: number;
  spread: number;
  runs: number[];
  torch?: TorchFigures;
  ratio?: number;
  note?: string;
  inference?: { predictNextMs: number; generateCharsPerSec: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spreadOf = (xs: number[]): number => (xs.length ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);

// ---------------------------------------------------------------- kernels

async function makeKernels(which: string | undefined, threads: number): Promise<Kernels> {
  if (which === 'typescript') return referenceKernels;
  try {
    return await createWasmKernels({ threads });
  } catch (err) {
    if (which === 'wasm') throw err;
    return referenceKernels;
  }
}

// ---------------------------------------------------------------- reference group

interface SeedSetup {
  vocab: Vocabulary;
  inputs: Int32Array;
  targets: Int32Array;
  B: number;
  T: number;
}

function seedSetup(): SeedSetup {
  const text = readFileSync(SEED_CORPUS, 'utf8');
  const vocab = Vocabulary.fromText(text);
  const set = makeWindows(vocab.encode(text), 10, 'next', 1);
  const B = set.starts.length;
  const inputs = new Int32Array(B * 10);
  const targets = new Int32Array(B);
  fillBatch(set, sequentialOrder(B), 0, B, inputs, targets);
  return { vocab, inputs, targets, B, T: 10 };
}

function seedConfig(cell: CellKind, V: number): ModelConfig {
  return { cell, layers: 1, vocabSize: V, embed: 32, hidden: 64, window: 10, objective: 'next', dropout: 0 };
}

/** One run of `epochs` full-batch epochs from a fresh init; returns ms/epoch and the last loss. */
function seedRun(model: Model, s: SeedSetup, epochs: number): { ms: number; loss: number } {
  model.initParams(new Rng(42));
  const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, model.layout.total, model.kernels);
  let loss = NaN;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    model.zeroGrads();
    loss = model.forwardBackward(s.inputs, s.targets, s.B, s.T, null).loss;
    opt.step(model.params, model.grads, 0.01);
  }
  return { ms: (performance.now() - t0) / epochs, loss };
}

function inferenceFigures(model: Model, vocab: Vocabulary): { predictNextMs: number; generateCharsPerSec: number } {
  const prompt = 'Hello, RNN! Recurrent';
  for (let i = 0; i < 50; i++) predictNext(model, vocab, prompt, 5);
  const calls = 500;
  let t0 = performance.now();
  for (let i = 0; i < calls; i++) predictNext(model, vocab, prompt, 5);
  const predictNextMs = (performance.now() - t0) / calls;
  generate(model, vocab, 'Hello', 200, { seed: 1 });
  const n = 5000;
  t0 = performance.now();
  generate(model, vocab, 'Hello', n, { seed: 2, temperature: 0.8 });
  const generateCharsPerSec = n / ((performance.now() - t0) / 1000);
  return { predictNextMs, generateCharsPerSec };
}

// ---------------------------------------------------------------- mid group

interface MidSetup {
  V: number;
  batches: { inputs: Int32Array; targets: Int32Array }[];
}

const MID = { B: 32, T: 64, E: 64, H: 256, L: 2, lr: 0.002 };

function midSetup(steps: number): MidSetup {
  const text = readFileSync(MID_CORPUS, 'utf8');
  const vocab = Vocabulary.fromText(text);
  const ids = vocab.encode(text);
  const rng = new Rng(1234);
  const { B, T } = MID;
  const batches = [];
  for (let s = 0; s < steps; s++) {
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = rng.int(ids.length - T - 1);
      inputs.set(ids.subarray(start, start + T), b * T);
      targets.set(ids.subarray(start + 1, start + T + 1), b * T);
    }
    batches.push({ inputs, targets });
  }
  return { V: vocab.size, batches };
}

/** Training FLOPs of one step, as torch_bench counts them (backward ≈ 2 × forward). */
function midFlops(cell: CellKind, V: number): number {
  const { B, T, E, H, L } = MID;
  const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  let fwd = 0;
  for (let l = 0; l < L; l++) fwd += 2 * B * T * ((l === 0 ? E : H) + H) * gates * H;
  fwd += 2 * B * T * H * V;
  return 3 * fwd;
}

function midRun(model: Model, m: MidSetup, warmup: number, steps: number): { stepMs: number[]; loss: number } {
  model.initParams(new Rng(0));
  const opt = createOptimizer({ optimizer: 'adam', momentum: 0, weightDecay: 0 }, model.layout.total, model.kernels);
  const stepMs: number[] = [];
  let loss = NaN;
  for (let k = 0; k < warmup + steps; k++) {
    const { inputs, targets } = m.batches[k % m.batches.length];
    const t0 = performance.now();
    model.zeroGrads();
    loss = model.forwardBackward(inputs, targets, MID.B, MID.T, null).loss;
    opt.step(model.params, model.grads, MID.lr);
    if (k >= warmup) stepMs.push(performance.now() - t0);
  }
  return { stepMs, loss };
}

// ---------------------------------------------------------------- PyTorch

function torchAvailable(): boolean {
  if (!existsSync(PYTHON) || !existsSync(TORCH_BENCH)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

interface TorchResult { info: { blas_loaded: string[]; threads: number }; results: Record<string, unknown>[] }

function runTorch(only: 'seed' | 'mid', quick: boolean): TorchResult | null {
  const dir = mkdtempSync(join(tmpdir(), 'rnnwb-bench-'));
  const out = join(dir, 'torch.json');
  const args = [TORCH_BENCH, '--only', only, '--threads', '1', '--json-out', out, '--quiet-max-wait', '10'];
  if (quick) args.push('--seed-runs', '2', '--mid-steps', '10', '--mid-warmup', '2');
  else args.push('--seed-runs', '3', '--mid-steps', '20', '--mid-warmup', '3');
  try {
    execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30 * 60_000 });
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as TorchResult[];
    return parsed[0] ?? null;
  } catch (err) {
    process.stderr.write(`PyTorch anchor failed: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function torchFigures(r: TorchResult, anchor: 'seed' | 'mid', cell: CellKind): TorchFigures | undefined {
  const res = r.results.find((x) => x.anchor === anchor && x.cell === cell) as Record<string, number & number[]> | undefined;
  if (!res) return undefined;
  const blas = r.info.blas_loaded;
  const referenceBlas = !blas.some((p) => /openblas|mkl|blis/i.test(p));
  if (anchor === 'seed') {
    const runs = res.ms_per_epoch_runs as unknown as number[];
    return {
      msPerEpoch: res.ms_per_epoch_median, finalLoss: res.loss_epoch500, spread: spreadOf(runs), threads: r.info.threads,
      blas, referenceBlas, otherCpu: Math.max(...(res.other_cpu_per_run as unknown as number[])),
    };
  }
  const steps = res.ms_per_step_all as unknown as number[];
  return {
    charsPerSec: res.chars_per_s, gflops: res.achieved_gflops, finalLoss: res.loss_last, spread: spreadOf(steps),
    threads: r.info.threads, blas, referenceBlas, otherCpu: res.other_cpu,
  };
}

// ---------------------------------------------------------------- driver

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .option('--json', 'one JSON line per measurement', false)
    .option('--only <group>', 'reference | mid')
    .option('--kernels <path>', 'typescript | wasm (default: the best that loads)')
    .option('--threads <n>', 'kernel threads', '1')
    .option('--no-torch', 'skip the PyTorch anchors')
    .option('--quick', 'fewer runs and steps (a smoke test, not a measurement)', false)
    .parse(process.argv);
  const o = program.opts<Options>();
  if (o.only && o.only !== 'reference' && o.only !== 'mid') throw new Error(`--only must be "reference" or "mid" (got "${o.only}").`);
  if (o.kernels && o.kernels !== 'typescript' && o.kernels !== 'wasm') throw new Error(`--kernels must be "typescript" or "wasm" (got "${o.kernels}").`);
  const threads = Math.max(1, Number.parseInt(o.threads, 10) || 1);
  const kernels = await makeKernels(o.kernels, threads);
  const withTorch = o.torch && torchAvailable();
  const log = (s: string) => { if (!o.json) process.stderr.write(s + '\n'); };
  const results: Measurement[] = [];
  const emit = (m: Measurement) => {
    results.push(m);
    if (o.json) {
      const { runs: _runs, ...line } = m;
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  };
  log(`kernels: ${kernels.path}, threads ${threads}${withTorch ? ', PyTorch anchors on' : ', no PyTorch anchors'}`);

  if (!o.only || o.only === 'reference') {
    const s = seedSetup();
    const epochs = o.quick ? 100 : 500;
    const perRound = o.quick ? 1 : 2;
    const models = new Map<CellKind, Model>();
    const ours = new Map<CellKind, { ms: number[]; loss: number }>();
    const round = () => {
      for (const cell of ['lstm', 'gru'] as const) {
        let model = models.get(cell);
        if (!model) {
          model = new Model(seedConfig(cell, s.vocab.size), kernels);
          models.set(cell, model);
          seedRun(model, s, 50); // warm-up
        }
        const acc = ours.get(cell) ?? { ms: [], loss: NaN };
        for (let r = 0; r < perRound; r++) {
          const { ms, loss } = seedRun(model, s, epochs);
          acc.ms.push(ms);
          acc.loss = loss;
        }
        ours.set(cell, acc);
        log(`  reference-${cell}: ${acc.ms.map((x) => x.toFixed(2)).join(', ')} ms/epoch`);
      }
    };
    round();
    const torch = withTorch ? runTorch('seed', o.quick) : null;
    round();
    for (const cell of ['lstm', 'gru'] as const) {
      const acc = ours.get(cell)!;
      const m: Measurement = {
        name: `reference-${cell}`, cell, threads, kernelPath: kernels.path,
        msPerEpoch: median(acc.ms), finalLoss: acc.loss, spread: spreadOf(acc.ms), runs: acc.ms,
      };
      const t = torch ? torchFigures(torch, 'seed', cell) : undefined;
      if (t) {
        m.torch = t;
        if (t.referenceBlas) m.note = 'PyTorch ran on the reference (netlib) BLAS: no ratio';
        else m.ratio = m.msPerEpoch! / t.msPerEpoch!;
      }
      m.inference = inferenceFigures(models.get(cell)!, s.vocab);
      emit(m);
    }
  }

  if (!o.only || o.only === 'mid') {
    const slow = kernels.path === 'typescript';
    const warmup = o.quick || slow ? 1 : 3;
    const steps = o.quick || slow ? 3 : 12;
    const m = midSetup(warmup + steps);
    const ours = new Map<CellKind, { ms: number[]; loss: number }>();
    const models = new Map<CellKind, Model>();
    const round = () => {
      for (const cell of ['lstm', 'gru'] as const) {
        let model = models.get(cell);
        if (!model) {
          model = new Model({ cell, layers: MID.L, vocabSize: m.V, embed: MID.E, hidden: MID.H, window: MID.T, objective: 'every', dropout: 0 }, kernels);
          models.set(cell, model);
        }
        const { stepMs, loss } = midRun(model, m, warmup, steps);
        const acc = ours.get(cell) ?? { ms: [], loss: NaN };
        acc.ms.push(...stepMs);
        acc.loss = loss;
        ours.set(cell, acc);
        log(`  mid-${cell}: median ${median(stepMs).toFixed(1)} ms/step over ${stepMs.length} steps`);
      }
    };
    round();
    const torch = withTorch ? runTorch('mid', o.quick) : null;
    if (!slow) round();
    for (const cell of ['lstm', 'gru'] as const) {
      const acc = ours.get(cell)!;
      const med = median(acc.ms);
      const meas: Measurement = {
        name: `mid-${cell}`, cell, threads, kernelPath: kernels.path,
        charsPerSec: (MID.B * MID.T) / (med / 1000), gflops: midFlops(cell, m.V) / (med / 1000) / 1e9,
        finalLoss: acc.loss, spread: spreadOf(acc.ms), runs: acc.ms,
      };
      const t = torch ? torchFigures(torch, 'mid', cell) : undefined;
      if (t) {
        meas.torch = t;
        if (t.referenceBlas) meas.note = 'PyTorch ran on the reference (netlib) BLAS: no ratio';
        else meas.ratio = meas.charsPerSec! / t.charsPerSec!;
      }
      emit(meas);
    }
  }

  if (!o.json) printTable(results);
  (kernels as Partial<WasmKernels>).dispose?.();
}

function printTable(results: Measurement[]): void {
  const rows = [['measurement', 'kernels', 'thr', 'ours', 'PyTorch (1 thr)', 'ours/PyTorch', 'spread', 'final loss', 'inference']];
  for (const m of results) {
    const ours = m.msPerEpoch !== undefined ? `${m.msPerEpoch.toFixed(2)} ms/epoch` : `${m.charsPerSec!.toFixed(0)} chars/s (${m.gflops!.toFixed(1)} GFLOP/s)`;
    const torch = m.torch ? (m.torch.msPerEpoch !== undefined ? `${m.torch.msPerEpoch.toFixed(2)} ms/epoch` : `${m.torch.charsPerSec!.toFixed(0)} chars/s (${m.torch.gflops!.toFixed(1)} GFLOP/s)`) : '-';
    const ratio = m.ratio !== undefined ? `${m.ratio.toFixed(2)}×` : m.note ? 'n/a (reference BLAS)' : '-';
    const inf = m.inference ? `predictNext ${m.inference.predictNextMs.toFixed(3)} ms, generate ${m.inference.generateCharsPerSec.toFixed(0)} chars/s` : '';
    rows.push([m.name, m.kernelPath, String(m.threads), ours, torch, ratio, `${(m.spread * 100).toFixed(0)}%`, m.finalLoss.toFixed(4), inf]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  console.log('ratio: ours/PyTorch — ms/epoch: below 1 is faster; chars/s: above 1 is faster.');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
