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
 * Each of our thread counts (--threads, default 1 and every core) gets its own kernels. PyTorch runs
 * at 1 thread and at each of our other counts (above 1 with OMP_WAIT_POLICY=PASSIVE, its best
 * multi-thread setting here). Ratios are ours / PyTorch in the measurement's own unit: below 1 is
 * faster for ms/epoch, above 1 is faster for chars/s. Our runs are interleaved around PyTorch's
 * (before and after) so both see the same machine; medians and spread (max-min)/median over every
 * run are reported. Mid rows also give their GFLOP/s as a share of the machine's ceiling: PyTorch's
 * 1-thread matmul on its largest square shape (torch_bench's mm anchor).
 *
 * The table has a row per measurement and thread count. --json prints exactly one line per
 * measurement (reference-lstm, reference-gru, mid-lstm, mid-gru; two with --only):
 *   {name, cell, threads, msPerEpoch | charsPerSec, gflops?, finalLoss, spread, ratio?, inference?,
 *    kernelPath, byThreads?, torch?}
 * The top-level figures are ours at the highest thread count measured (what a run alone gets: the
 * run manager gives it every core), `threads` says which; `ratio` is them / PyTorch on one thread
 * (the target). `byThreads` holds ours at the other counts, in the same shape. PyTorch's figures
 * appear only under `torch`: its 1-thread figures, `torch.sameThreads` (at our top count) and
 * `torch.byThreads` (at our other counts above 1), each with `ratio` = ours at that count / it, and
 * for mid `torch.ceiling` {gflops, shape, threads, percent: our top-level GFLOP/s as a share};
 * `torch.note` says when PyTorch ran on the reference BLAS (then there is no ratio).
 *
 *   npm run bench [-- --json] [--only reference|mid] [--kernels typescript|wasm] [--threads 1,2] [--no-torch] [--quick]
 *   npm run bench -- --only pytorch [--json] [--quick] [--steps N] [--threads N]   the PyTorch engine vs the built-in and a bare loop (bench/pytorch.ts)
 *   npm run bench -- --only ddp [--json] [--steps N]       the PyTorch engine as 1 vs 2 DDP processes on the CPU (bench/ddp.ts)
 *   npm run bench -- --only trace [--json] [--quick]     Inspect's long trace: chars/s on the mid-size model (bench/trace.ts);
 *                                                        the full bench ends with it too
 */
import { Command } from 'commander';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellKind } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { nodeKernelHost } from '../engine/host.ts';
import { generate, predictNext } from '../engine/infer/index.ts';
import { referenceKernels } from '../engine/kernels/reference.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { createWasmKernels, type WasmKernels } from '../engine/kernels/wasm/index.ts';
import { Model } from '../engine/model.ts';
import { createOptimizer } from '../engine/optim/index.ts';
import type { Vocabulary } from '../engine/text/vocab.ts';
import { runTraceBench } from './trace.ts';
import { MID, midConfig, midSetup, seedConfig, seedSetup, SHARED, type MidSetup, type SeedSetup } from './workloads.ts';

const TORCH_BENCH = join(SHARED, 'anchors', 'torch_bench.py');
const PYTHON = '/usr/bin/python3';

interface Options {
  json: boolean;
  only?: string;
  kernels?: string;
  threads?: string;
  torch: boolean;
  quick: boolean;
  steps?: string;
}

interface TorchFigures {
  msPerEpoch?: number;
  charsPerSec?: number;
  gflops?: number;
  finalLoss: number;
  spread: number;
  threads: number;
  /** Extra environment of the PyTorch child beyond its thread counts (OMP_WAIT_POLICY above 1 thread). */
  env: Record<string, string>;
  blas: string[];
  referenceBlas: boolean;
  otherCpu: number;
}

/** The machine's 1-thread matmul speed: what a perfect engine on one core could approach. */
interface Ceiling {
  gflops: number;
  shape: string;
  threads: number;
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
  /** PyTorch on one thread, and ours / it. */
  torch?: TorchFigures;
  ratio?: number;
  /** PyTorch on as many threads as ours, and ours / it. */
  torchSameThreads?: TorchFigures;
  ratioSameThreads?: number;
  /** Mid rows: the 1-thread matmul ceiling and our GFLOP/s as a percentage of it. */
  ceiling?: Ceiling & { percent: number };
  note?: string;
  inference?: { predictNextMs: number; generateCharsPerSec: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spreadOf = (xs: number[]): number => (xs.length ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);

const CELLS = ['lstm', 'gru'] as const;

// ---------------------------------------------------------------- kernels

/** Our side at one thread count. A Model is bound to its kernels, so each count has its own. */
interface Contender {
  threads: number;
  kernels: Kernels;
}

/** "1,2" → [1, 2]; default 1 and every core (just 1 on a 1-core machine). */
function parseThreads(spec: string | undefined): number[] {
  const text = spec ?? `1,${availableParallelism()}`;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[1-9]\d*$/.test(p))) throw new Error(`--threads must be a comma list of positive integers, e.g. 1,2 (got "${text}").`);
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** One kernel set per thread count; the TypeScript kernels (asked for, or the fallback) run on one thread only. */
async function makeContenders(which: string | undefined, counts: number[]): Promise<Contender[]> {
  const single = [{ threads: 1, kernels: referenceKernels }];
  if (which === 'typescript') return single;
  const made: Contender[] = [];
  try {
    for (const threads of counts) {
      const kernels = await createWasmKernels({ threads, ...nodeKernelHost });
      await kernels.ready; // measure the threads at work, not their start
      // The kernels cap their thread count: two asked-for counts may land on one.
      if (made.some((c) => c.threads === kernels.threads)) kernels.dispose();
      else made.push({ threads: kernels.threads, kernels });
    }
    return made;
  } catch (err) {
    disposeAll(made);
    if (which === 'wasm') throw err;
    // Said even under --json (on stderr): a silent fallback would pass TypeScript figures off as the engine's.
    process.stderr.write(`WebAssembly kernels did not load (${(err as Error).message}): measuring the TypeScript kernels\n`);
    return single;
  }
}

function disposeAll(contenders: Contender[]): void {
  for (const c of contenders) (c.kernels as Partial<WasmKernels>).dispose?.();
}

/** One row of the table in the making: a contender's model of one cell and its runs so far. */
interface Slot {
  contender: Contender;
  cell: CellKind;
  model?: Model;
  ms: number[];
  loss: number;
}

const slotsFor = (contenders: Contender[]): Slot[] =>
  contenders.flatMap((contender) => CELLS.map((cell) => ({ contender, cell, ms: [], loss: NaN })));

// ---------------------------------------------------------------- reference group

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

interface TorchResult {
  info: { blas_loaded: string[]; threads: number };
  child_env: Record<string, string>;
  results: Record<string, unknown>[];
}

/** PyTorch's results by thread count; null where torch_bench failed. */
type TorchRuns = Map<number, TorchResult | null>;

/** The PyTorch thread counts to run: one thread (the target) and each of ours. */
const torchThreadsFor = (ours: number[]): number[] => [...new Set([1, ...ours])].sort((a, b) => a - b);

// One invocation per thread count: torch_bench applies --env to every child, and 1 thread stays as it always ran.
function runTorchAt(only: 'seed' | 'mid', quick: boolean, counts: number[]): TorchRuns {
  return new Map(counts.map((threads) => [threads, runTorch(only, quick, threads)]));
}

const isReferenceBlas = (r: TorchResult): boolean => !r.info.blas_loaded.some((p) => /openblas|mkl|blis/i.test(p));

function runTorch(only: 'seed' | 'mid' | 'mm', quick: boolean, threads: number): TorchResult | null {
  const dir = mkdtempSync(join(tmpdir(), 'rnnwb-bench-'));
  const out = join(dir, 'torch.json');
  const args = [TORCH_BENCH, '--only', only, '--threads', String(threads), '--json-out', out, '--quiet-max-wait', '10'];
  // OpenMP's default spin-waiting costs PyTorch on a 2-core machine; the issue compares against its best setting.
  if (threads > 1) args.push('--env', 'OMP_WAIT_POLICY=PASSIVE');
  if (quick) args.push('--seed-runs', '2', '--mid-steps', '10', '--mid-warmup', '2');
  else args.push('--seed-runs', '3', '--mid-steps', '20', '--mid-warmup', '3');
  try {
    execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30 * 60_000 });
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as TorchResult[];
    return parsed[0] ?? null;
  } catch (err) {
    process.stderr.write(`PyTorch anchor (${only}, ${threads} thr) failed: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function torchFigures(r: TorchResult, anchor: 'seed' | 'mid', cell: CellKind): TorchFigures | undefined {
  const res = r.results.find((x) => x.anchor === anchor && x.cell === cell) as Record<string, number & number[]> | undefined;
  if (!res) return undefined;
  const blas = r.info.blas_loaded;
  const referenceBlas = isReferenceBlas(r);
  const { OMP_NUM_THREADS: _omp, OPENBLAS_NUM_THREADS: _blas, ...env } = r.child_env ?? {};
  if (anchor === 'seed') {
    const runs = res.ms_per_epoch_runs as unknown as number[];
    return {
      msPerEpoch: res.ms_per_epoch_median, finalLoss: res.loss_epoch500, spread: spreadOf(runs), threads: r.info.threads,
      env, blas, referenceBlas, otherCpu: Math.max(...(res.other_cpu_per_run as unknown as number[])),
    };
  }
  const steps = res.ms_per_step_all as unknown as number[];
  return {
    charsPerSec: res.chars_per_s, gflops: res.achieved_gflops, finalLoss: res.loss_last, spread: spreadOf(steps),
    threads: r.info.threads, env, blas, referenceBlas, otherCpu: res.other_cpu,
  };
}

/** ours / PyTorch in the measurement's own unit; none against the reference BLAS (not a fair anchor). */
function ratioTo(m: Measurement, t: TorchFigures): number | undefined {
  if (t.referenceBlas) return undefined;
  return m.msPerEpoch !== undefined ? m.msPerEpoch / t.msPerEpoch! : m.charsPerSec! / t.charsPerSec!;
}

/** Sets PyTorch's figures on one thread and on as many as ours, and ours / each. */
function compareWithTorch(m: Measurement, runs: TorchRuns, anchor: 'seed' | 'mid'): void {
  const at = (threads: number) => {
    const r = runs.get(threads);
    return r ? torchFigures(r, anchor, m.cell) : undefined;
  };
  const one = at(1);
  const same = at(m.threads);
  if (one) { m.torch = one; m.ratio = ratioTo(m, one); }
  if (same) { m.torchSameThreads = same; m.ratioSameThreads = ratioTo(m, same); }
  if (one?.referenceBlas || same?.referenceBlas) m.note = 'PyTorch ran on the reference (netlib) BLAS: no ratio';
}

/** torch_bench's mm anchor on one thread: the largest square product's median GFLOP/s. */
function matmulCeiling(): Ceiling | undefined {
  const r = runTorch('mm', false, 1);
  if (!r) return undefined;
  if (isReferenceBlas(r)) {
    process.stderr.write('PyTorch ran matmul on the reference (netlib) BLAS: no ceiling\n');
    return undefined;
  }
  const squares = (r.results as Record<string, number & string>[])
    .filter((x) => x.anchor === 'mm' && x.m === x.k && x.k === x.n)
    .sort((a, b) => b.m - a.m);
  return squares[0] ? { gflops: squares[0].gflops_median, shape: squares[0].shape, threads: r.info.threads } : undefined;
}

// ---------------------------------------------------------------- driver

interface Run {
  quick: boolean;
  withTorch: boolean;
  torchThreads: number[];
  log: (s: string) => void;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .option('--json', 'one JSON line per measurement', false)
    .option('--only <group>', 'reference | mid | pytorch | ddp | trace')
    .option('--kernels <path>', 'typescript | wasm (default: the best that loads)')
    .option('--threads <list>', 'our kernel thread counts, comma-separated (default: 1 and every core)')
    .option('--no-torch', 'skip the PyTorch anchors')
    .option('--quick', 'fewer runs and steps (a smoke test, not a measurement)', false)
    .option('--steps <n>', 'steps per engine with --only pytorch (default 60, 20 with --quick)')
    .parse(process.argv);
  const o = program.opts<Options>();
  if (o.only === 'pytorch') {
    const { runPytorchBench } = await import('./pytorch.ts');
    const steps = o.steps ? Number(o.steps) : o.quick ? 20 : 60;
    if (!Number.isInteger(steps) || steps < 3) throw new Error(`--steps must be a whole number of at least 3 (got "${o.steps}").`);
    await runPytorchBench({ json: o.json, steps, ...(o.threads ? { threads: Number(o.threads) } : {}) });
    return;
  }
  if (o.only === 'ddp') {
    const { runDdpBench } = await import('./ddp.ts');
    await runDdpBench({ json: o.json, steps: o.steps ? Number(o.steps) : o.quick ? 10 : 30 });
    return;
  }
  if (o.only === 'trace') {
    await runTraceBench({ json: o.json, quick: o.quick });
    return;
  }
  if (o.only && o.only !== 'reference' && o.only !== 'mid') throw new Error(`--only must be "reference", "mid", "pytorch", "ddp" or "trace" (got "${o.only}").`);
  if (o.kernels && o.kernels !== 'typescript' && o.kernels !== 'wasm') throw new Error(`--kernels must be "typescript" or "wasm" (got "${o.kernels}").`);
  const counts = parseThreads(o.threads);
  const contenders = await makeContenders(o.kernels, counts);
  const withTorch = o.torch && torchAvailable();
  const ours = contenders.map((c) => c.threads);
  const torchThreads = torchThreadsFor(ours);
  const results: Measurement[] = [];
  const run: Run = {
    quick: o.quick, withTorch, torchThreads,
    log: (s: string) => { if (!o.json) process.stderr.write(s + '\n'); },
  };
  // A group's lines go out as soon as it is done: every thread count of a name ends up on one line.
  const report = (group: Measurement[]) => {
    results.push(...group);
    if (o.json) for (const line of jsonLines(group)) process.stdout.write(JSON.stringify(line) + '\n');
  };
  const path = contenders[0].kernels.path;
  if (path === 'typescript' && counts.some((n) => n > 1)) run.log('the TypeScript kernels run on one thread: measuring 1 thread only');
  run.log(`kernels: ${path}, threads ${ours.join(',')}` +
    (withTorch ? `; PyTorch anchors on, threads ${torchThreads.join(',')} (OMP_WAIT_POLICY=PASSIVE above 1)` : '; no PyTorch anchors'));

  try {
    if (!o.only || o.only === 'reference') report(referenceGroup(run, contenders));
    if (!o.only || o.only === 'mid') report(midGroup(run, contenders));
  } finally {
    disposeAll(contenders);
  }
  if (!o.json) printTable(results);
  if (!o.only) await runTraceBench({ json: o.json, quick: o.quick });
}

function referenceGroup(run: Run, contenders: Contender[]): Measurement[] {
  const s = seedSetup();
  const epochs = run.quick ? 100 : 500;
  const perRound = run.quick ? 1 : 2;
  const slots = slotsFor(contenders);
  const round = () => {
    for (const slot of slots) {
      if (!slot.model) {
        slot.model = new Model(seedConfig(slot.cell, s.vocab.size), slot.contender.kernels);
        seedRun(slot.model, s, 50); // warm-up
      }
      for (let r = 0; r < perRound; r++) {
        const { ms, loss } = seedRun(slot.model, s, epochs);
        slot.ms.push(ms);
        slot.loss = loss;
      }
      run.log(`  reference-${slot.cell} ${slot.contender.threads} thr: ${slot.ms.map((x) => x.toFixed(2)).join(', ')} ms/epoch`);
    }
  };
  round();
  const torch: TorchRuns = run.withTorch ? runTorchAt('seed', run.quick, run.torchThreads) : new Map();
  round();
  return slots.map((slot) => {
    const m: Measurement = {
      name: `reference-${slot.cell}`, cell: slot.cell, threads: slot.contender.threads, kernelPath: slot.contender.kernels.path,
      msPerEpoch: median(slot.ms), finalLoss: slot.loss, spread: spreadOf(slot.ms), runs: slot.ms,
    };
    compareWithTorch(m, torch, 'seed');
    m.inference = inferenceFigures(slot.model!, s.vocab);
    return m;
  });
}

function midGroup(run: Run, contenders: Contender[]): Measurement[] {
  const slow = contenders[0].kernels.path === 'typescript';
  const warmup = run.quick || slow ? 1 : 3;
  const steps = run.quick || slow ? 3 : 12;
  const m = midSetup(warmup + steps);
  // Measured once, before our runs: a property of the machine, not of either contender.
  const ceiling = run.withTorch ? matmulCeiling() : undefined;
  if (ceiling) run.log(`  matmul ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s (PyTorch ${ceiling.threads} thr, ${ceiling.shape})`);
  const slots = slotsFor(contenders);
  const round = () => {
    for (const slot of slots) {
      slot.model ??= new Model(
        midConfig(slot.cell, m.V),
        slot.contender.kernels,
      );
      const { stepMs, loss } = midRun(slot.model, m, warmup, steps);
      slot.ms.push(...stepMs);
      slot.loss = loss;
      run.log(`  mid-${slot.cell} ${slot.contender.threads} thr: median ${median(stepMs).toFixed(1)} ms/step over ${stepMs.length} steps`);
    }
  };
  round();
  const torch: TorchRuns = run.withTorch ? runTorchAt('mid', run.quick, run.torchThreads) : new Map();
  if (!slow) round();
  return slots.map((slot) => {
    const med = median(slot.ms);
    const meas: Measurement = {
      name: `mid-${slot.cell}`, cell: slot.cell, threads: slot.contender.threads, kernelPath: slot.contender.kernels.path,
      charsPerSec: (MID.B * MID.T) / (med / 1000), gflops: midFlops(slot.cell, m.V) / (med / 1000) / 1e9,
      finalLoss: slot.loss, spread: spreadOf(slot.ms), runs: slot.ms,
    };
    if (ceiling) meas.ceiling = { ...ceiling, percent: (100 * meas.gflops!) / ceiling.gflops };
    compareWithTorch(meas, torch, 'mid');
    return meas;
  });
}

// ---------------------------------------------------------------- JSON lines

/** Our figures at one thread count, as a JSON line gives them. */
interface OurFigures {
  threads: number;
  msPerEpoch?: number;
  charsPerSec?: number;
  gflops?: number;
  finalLoss: number;
  spread: number;
  /** Ours at this count / PyTorch on one thread. */
  ratio?: number;
  inference?: Measurement['inference'];
}

/** PyTorch at one of our thread counts, and ours at that count / it. */
type TorchAtOurThreads = TorchFigures & { ratio?: number };

/** One measurement's line: ours at the top thread count, the other counts nested, PyTorch only under `torch`. */
interface JsonLine extends OurFigures {
  name: string;
  cell: CellKind;
  kernelPath: string;
  byThreads?: OurFigures[];
  torch?: Partial<TorchFigures> & {
    sameThreads?: TorchAtOurThreads;
    byThreads?: TorchAtOurThreads[];
    ceiling?: Ceiling & { percent: number };
    note?: string;
  };
}

const ourFigures = (m: Measurement): OurFigures => ({
  threads: m.threads, msPerEpoch: m.msPerEpoch, charsPerSec: m.charsPerSec, gflops: m.gflops,
  finalLoss: m.finalLoss, spread: m.spread, ratio: m.ratio, inference: m.inference,
});

/** PyTorch at m's thread count; none at 1 thread, which is `torch` itself. */
const torchAtOurThreads = (m: Measurement): TorchAtOurThreads | undefined =>
  m.torchSameThreads && m.threads > 1 ? { ...m.torchSameThreads, ratio: m.ratioSameThreads } : undefined;

/** A group's measurements (one per name and thread count) as one line per name. */
function jsonLines(group: Measurement[]): JsonLine[] {
  const names = [...new Set(group.map((m) => m.name))];
  return names.map((name) => {
    const rows = group.filter((m) => m.name === name).sort((a, b) => a.threads - b.threads);
    const top = rows[rows.length - 1];
    const others = rows.slice(0, -1);
    const torchOthers = others.map(torchAtOurThreads).filter((t) => t !== undefined);
    const torch: JsonLine['torch'] = {
      ...top.torch,
      sameThreads: torchAtOurThreads(top),
      byThreads: torchOthers.length ? torchOthers : undefined,
      ceiling: top.ceiling,
      note: rows.find((m) => m.note)?.note,
    };
    return {
      name, cell: top.cell, ...ourFigures(top), kernelPath: top.kernelPath,
      byThreads: others.length ? others.map(ourFigures) : undefined,
      torch: Object.values(torch).some((v) => v !== undefined) ? torch : undefined,
    };
  });
}

// ---------------------------------------------------------------- table

function speedText(x: { msPerEpoch?: number; charsPerSec?: number; gflops?: number }): string {
  return x.msPerEpoch !== undefined ? `${x.msPerEpoch.toFixed(2)} ms/epoch` : `${x.charsPerSec!.toFixed(0)} chars/s (${x.gflops!.toFixed(1)} GFLOP/s)`;
}

function ratioText(ratio: number | undefined, torch: TorchFigures | undefined): string {
  if (ratio !== undefined) return `${ratio.toFixed(2)}×`;
  return torch?.referenceBlas ? 'n/a (reference BLAS)' : '-';
}

function printTable(results: Measurement[]): void {
  const ceiling = results.find((m) => m.ceiling)?.ceiling;
  const rows = [['measurement', 'kernels', 'thr', 'ours', 'PyTorch 1 thr', 'PyTorch N thr', 'vs 1 thr', 'vs N thr', 'spread', 'final loss', 'vs matmul ceiling', 'inference']];
  for (const m of results) {
    const vsCeiling = m.ceiling ? `${m.gflops!.toFixed(1)} of ${m.ceiling.gflops.toFixed(1)} GFLOP/s (${m.ceiling.percent.toFixed(0)}%)` : '';
    const inf = m.inference ? `predictNext ${m.inference.predictNextMs.toFixed(3)} ms, generate ${m.inference.generateCharsPerSec.toFixed(0)} chars/s` : '';
    rows.push([
      m.name, m.kernelPath, String(m.threads), speedText(m),
      m.torch ? speedText(m.torch) : '-', m.torchSameThreads ? speedText(m.torchSameThreads) : '-',
      ratioText(m.ratio, m.torch), ratioText(m.ratioSameThreads, m.torchSameThreads),
      `${(m.spread * 100).toFixed(0)}%`, m.finalLoss.toFixed(4), vsCeiling, inf,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  if (!results.some((m) => m.torch || m.torchSameThreads)) return;
  console.log('N = the row\'s thread count (thr); PyTorch above 1 thread ran with OMP_WAIT_POLICY=PASSIVE.');
  console.log('vs: ours/PyTorch — ms/epoch: below 1 is faster; chars/s: above 1 is faster. The target: PyTorch\'s 1-thread speed or better.');
  if (ceiling) console.log(`ceiling ${ceiling.gflops.toFixed(1)} GFLOP/s (PyTorch ${ceiling.threads}-thread matmul, largest square: ${ceiling.shape}, median).`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
