/**
 * The PyTorch engine's speed (`npm run bench -- --only pytorch`): the mid job — Embedding(V,64) →
 * 2 × LSTM(256) → Linear on every step, window 64, batch 32, Adam 0.002, clip 5, kjv-1mib.txt — on
 * the built-in engine and on the PyTorch engine (each a real engine process behind EngineProcess,
 * as a run trains), and as a bare PyTorch loop (bench/pytorch_bare.py: no process protocol around it).
 * chars/s = B·T per step over the steps after a warm-up, timed here as the progress messages arrive,
 * so the protocol's cost (framing, pipes, checkpoints) is inside the engine figures. The overhead is
 * 1 − PyTorch engine / bare loop (aim: ≤ 5 %). Beside wall-clock chars/s each figure has chars per
 * CPU-second (the process's user + system time, from /proc on Linux; the bare loop's own
 * process_time): on a shared machine the wall clock measures the neighbours, CPU time the work.
 *
 *   npm run bench -- --only pytorch [--steps 60] [--device auto|cpu|cuda|mps] [--threads N] [--python PATH] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../engine/config.ts';
import type { EngineDevice, StartMessage } from '../engine/protocol.ts';
import { EngineProcess } from '../main/runs/engine-process.ts';
import { nodeEngineLauncher, REPO_ROOT } from '../main/runs/launcher.ts';
import { pytorchEngineLauncher } from '../main/runs/pytorch-launcher.ts';
import { MID, SHARED } from './workloads.ts';

const CORPUS = join(SHARED, 'corpora', 'kjv-1mib.txt');
const BARE = join(REPO_ROOT, 'bench', 'pytorch_bare.py');

export interface PytorchBenchOptions {
  steps?: number;
  device?: EngineDevice;
  threads?: number;
  python?: string;
  json?: boolean;
}

interface Figure {
  name: string;
  charsPerSec: number;
  /** Characters per second of the process's CPU time (null where /proc is not there). */
  charsPerCpuSec: number | null;
  device: string;
  finalLoss: number;
}

export async function runPytorchBench(o: PytorchBenchOptions = {}): Promise<Figure[]> {
  const steps = o.steps ?? 60;
  const warmup = Math.min(10, Math.floor(steps / 3));
  const threads = o.threads ?? availableParallelism();
  const python = o.python ?? (process.env.RNNWB_PYTHON || '/usr/bin/python3');
  const hyper: Hyperparameters = {
    ...DEFAULT_HYPERPARAMETERS, cell: 'lstm', layers: MID.L, hidden: MID.H, embed: MID.E, window: MID.T, objective: 'every',
    batch: MID.B, steps, lr: MID.lr, clip: 5, valFraction: 0, threads, seed: 1,
  };
  const job: StartMessage = { type: 'start', hyper, corpusBytes: readFileSync(CORPUS), device: o.device ?? 'auto' };
  const log = (s: string) => o.json || process.stderr.write(`${s}\n`);
  const figures: Figure[] = [];
  log(`mid job: 2×256 LSTM, window 64, batch 32, every; ${steps} steps (${warmup} warm-up), ${threads} threads`);
  figures.push(await timeEngine('built-in engine', new EngineProcess(nodeEngineLauncher()), job, warmup));
  figures.push(await timeEngine('PyTorch engine', new EngineProcess(pytorchEngineLauncher({ python })), job, warmup));
  const bareDevice = figures[1].device.split(' ')[0].split(':')[0];
  const bare = spawnSync(python, [BARE, CORPUS, '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), '--device', bareDevice], { encoding: 'utf8' });
  if (bare.status !== 0) throw new Error(`The bare PyTorch loop failed: ${bare.stderr.trim().split('\n').at(-1)}`);
  const b = JSON.parse(bare.stdout) as { charsPerSec: number; charsPerCpuSec: number; device: string; finalLoss: number };
  figures.push({ name: 'bare PyTorch loop', charsPerSec: b.charsPerSec, charsPerCpuSec: b.charsPerCpuSec, device: b.device, finalLoss: b.finalLoss });

  const overhead = 1 - figures[1].charsPerSec / b.charsPerSec;
  const cpuOverhead = figures[1].charsPerCpuSec === null ? null : 1 - figures[1].charsPerCpuSec / b.charsPerCpuSec;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ name: 'pytorch-mid', steps, threads, figures, protocolOverhead: overhead, protocolOverheadCpu: cpuOverhead })}\n`);
  } else {
    const n = (x: number | null) => (x === null ? '—' : Math.round(x).toLocaleString('en-US')).padStart(10);
    console.log(`${''.padEnd(20)} ${'chars/s'.padStart(10)} ${'chars/CPU-s'.padStart(12)}`);
    for (const f of figures) console.log(`${f.name.padEnd(20)} ${n(f.charsPerSec)} ${n(f.charsPerCpuSec).padStart(12)}  on ${f.device}  (loss ${f.finalLoss.toFixed(3)})`);
    const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
    console.log(`protocol overhead (PyTorch engine vs the bare loop; aim ≤ 5 %): ${pct(overhead)} by the wall clock, ${pct(cpuOverhead)} by CPU time`);
  }
  return figures;
}

/** chars/s of one engine process on the job, timed at the host as its progress arrives. */
async function timeEngine(name: string, engine: EngineProcess, job: StartMessage, warmup: number): Promise<Figure> {
  const B = job.hyper.batch as number;
  const T = job.hyper.window;
  let from = 0;
  let to = 0;
  let cpuFrom: number | null = null;
  let cpuTo: number | null = null;
  let lastStep = 0;
  let loss = NaN;
  let device = 'cpu';
  engine.onReady((r) => (device = r.device ?? `cpu (${r.kernelPath}, ${r.threads} threads)`));
  engine.onProgress((p) => {
    if (p.step === warmup) {
      from = performance.now();
      cpuFrom = cpuSeconds(engine.pid);
    }
    to = performance.now();
    cpuTo = cpuSeconds(engine.pid);
    lastStep = p.step;
    loss = p.trainLoss;
  });
  engine.start(job);
  const exit = await engine.exited;
  if (exit.reason !== 'done') throw new Error(`${name}: ${exit.message}`);
  const chars = (lastStep - warmup) * B * T;
  const cpu = cpuFrom !== null && cpuTo !== null && cpuTo > cpuFrom ? chars / (cpuTo - cpuFrom) : null;
  return { name, charsPerSec: (chars * 1000) / (to - from), charsPerCpuSec: cpu, device, finalLoss: loss };
}

/** A process's user + system CPU seconds so far (Linux /proc; clock ticks of 1/100 s), or null. */
function cpuSeconds(pid: number | undefined): number | null {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return null;
  try {
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
