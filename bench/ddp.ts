/**
 * Data parallel on this machine's CPU (`npm run bench -- --only ddp`): the mid job (2 × LSTM(256),
 * window 64, every-position objective, kjv-1mib.txt) with a global batch of 64 on the PyTorch engine
 * as 1 process and as 2 under torchrun (DDP, gloo), each a real engine process behind EngineProcess
 * as a run trains, one thread per process. chars/s = global B·T per step over the steps after a warm-up;
 * efficiency = (2-process chars/s) / (2 × 1-process chars/s). On a GPU machine the same command with
 * --device cuda gives one process per GPU.
 *
 *   npm run bench -- --only ddp [--steps 30] [--json]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_HYPERPARAMETERS } from '../engine/config.ts';
import { EngineProcess } from '../main/runs/engine-process.ts';
import { pytorchEngineLauncher } from '../main/runs/pytorch-launcher.ts';
import { MID, SHARED } from './workloads.ts';

const CORPUS = join(SHARED, 'corpora', 'kjv-1mib.txt');
const PYTHON = process.env.RNNWB_PYTHON || '/usr/bin/python3';
const BATCH = 64;
const WARMUP = 3;

async function measure(processes: number, steps: number, corpus: Uint8Array): Promise<number> {
  const hyper = {
    ...DEFAULT_HYPERPARAMETERS, engine: 'pytorch' as const, cell: 'lstm' as const, layers: MID.L, hidden: MID.H, embed: MID.E,
    window: MID.T, objective: 'every' as const, batch: BATCH, steps, lr: MID.lr, clip: 5, valFraction: 0, threads: 1, processes,
  };
  const engine = new EngineProcess(pytorchEngineLauncher({ python: PYTHON, processes }));
  const times: number[] = [];
  engine.onProgress(() => times.push(performance.now()));
  engine.start({ type: 'start', hyper, corpusBytes: corpus, device: 'cpu' });
  const exit = await engine.exited;
  if (exit.reason !== 'done') throw new Error(`${processes} process(es): ${exit.message}`);
  const timed = times.slice(WARMUP);
  return ((timed.length - 1) * BATCH * MID.T * 1000) / (timed.at(-1)! - timed[0]);
}

export async function runDdpBench(options: { steps: number; json?: boolean }): Promise<void> {
  const corpus = new Uint8Array(readFileSync(CORPUS));
  const one = await measure(1, options.steps, corpus);
  const two = await measure(2, options.steps, corpus);
  const efficiency = two / (2 * one);
  if (options.json) {
    console.log(JSON.stringify({ bench: 'ddp', device: 'cpu', batch: BATCH, steps: options.steps, oneProcess: one, twoProcesses: two, speedup: two / one, efficiency }));
    return;
  }
  console.log(`DDP on the CPU (gloo), mid job, global batch ${BATCH}, 1 thread per process, ${options.steps} steps:`);
  console.log(`  1 process:   ${Math.round(one).toLocaleString('en')} chars/s`);
  console.log(`  2 processes: ${Math.round(two).toLocaleString('en')} chars/s (×${(two / one).toFixed(2)}, efficiency ${(efficiency * 100).toFixed(0)} %)`);
}
