/**
 * The trace benchmark (`npm run bench -- --only trace`, and a line of the full `npm run bench`):
 * Inspect's long trace (engine/inspect/trace.ts) of 20,000 characters of held-out kjv-1mib.txt through
 * the mid-size model (Embedding(V,64) → 2 × LSTM|GRU(256) → Linear), on one thread as the inspect
 * process runs it. Weights are PyTorch's initialisation: the speed does not depend on them.
 *   inProcess  characters/s of traceIds alone (median of runs), what the ≤ 2 s budget is about, with
 *              the CPU time the process got (on a busy machine wall time runs ahead of it);
 *   endToEnd   ms through a real inspect process: start, load, trace, and the float32 values back to
 *              the host (main/inspect/jobs.ts), once.
 * --json prints one line per cell: {name: 'trace-lstm'|'trace-gru', chars, charsPerSec, ms, cpuMs, spread, bytes, endToEndMs, kernelPath}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellKind } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { encodeCheckpoint } from '../engine/format/checkpoint.ts';
import { nodeKernelHost } from '../engine/host.ts';
import { traceBytes, traceIds } from '../engine/inspect/trace.ts';
import { loadKernels } from '../engine/kernels/index.ts';
import { Model } from '../engine/model.ts';
import { Vocabulary } from '../engine/text/vocab.ts';
import { InspectJobs } from '../main/inspect/jobs.ts';
import { midConfig, SHARED } from './workloads.ts';

const CHARS = 20_000;

export interface TraceFigure {
  name: string;
  chars: number;
  charsPerSec: number;
  ms: number;
  /** CPU time of the median run (user + system). */
  cpuMs: number;
  spread: number;
  bytes: number;
  endToEndMs: number;
  kernelPath: string;
}

export async function runTraceBench(options: { json: boolean; quick: boolean }): Promise<TraceFigure[]> {
  const text = readFileSync(join(SHARED, 'corpora', 'kjv-1mib.txt'), 'utf8');
  const vocab = Vocabulary.fromText(text);
  const chars = Array.from(text);
  const heldOut = chars.slice(Math.floor(chars.length * 0.9)).slice(0, CHARS).join('');
  const ids = vocab.encode(heldOut);
  const kernels = await loadKernels(undefined, 1, nodeKernelHost);
  const figures: TraceFigure[] = [];
  for (const cell of ['lstm', 'gru'] as CellKind[]) {
    const model = new Model(midConfig(cell, vocab.size), kernels);
    model.initParams(new Rng(1));
    const runs: { ms: number; cpuMs: number }[] = [];
    for (let r = 0; r < (options.quick ? 1 : 3); r++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await traceIds(model, ids);
      const cpu = process.cpuUsage(cpu0);
      runs.push({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
    runs.sort((a, b) => a.ms - b.ms);
    const { ms, cpuMs } = runs[Math.floor(runs.length / 2)];
    const times = runs.map((r) => r.ms);
    const checkpoint = encodeCheckpoint({ config: model.config, vocab: vocab.chars, params: model.params, step: 0, kernelPath: kernels.path });
    const figure: TraceFigure = {
      name: `trace-${cell}`, chars: ids.length, charsPerSec: ids.length / (ms / 1000), ms, cpuMs,
      spread: (times[times.length - 1] - times[0]) / ms, bytes: traceBytes(model.config, ids.length),
      endToEndMs: await throughProcess(checkpoint, heldOut), kernelPath: kernels.path,
    };
    figures.push(figure);
    if (options.json) process.stdout.write(JSON.stringify(figure) + '\n');
    else {
      console.log(`${figure.name}: ${figure.chars.toLocaleString('en')} chars in ${ms.toFixed(0)} ms = ${Math.round(figure.charsPerSec).toLocaleString('en')} chars/s, CPU ${cpuMs.toFixed(0)} ms ` +
        `(spread ${(figure.spread * 100).toFixed(0)}%, ${figure.kernelPath}, 1 thread); ${(figure.bytes / 1024 ** 2).toFixed(0)} MiB of values; ` +
        `through an inspect process ${figure.endToEndMs.toFixed(0)} ms`);
    }
  }
  return figures;
}

/** One trace through a real inspect process, from start to the values in this process. */
async function throughProcess(checkpoint: Uint8Array, text: string): Promise<number> {
  const jobs = new InspectJobs();
  const t0 = performance.now();
  const record = jobs.start('trace', { type: 'trace', checkpoint, text }, () => 'bench');
  while (record.state === 'running') await new Promise((resolve) => setTimeout(resolve, 5));
  if (record.state !== 'done') throw new Error(`The inspect process did not finish: ${record.message}`);
  return performance.now() - t0;
}
