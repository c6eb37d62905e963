/**
 * Running the real `rnnwb` CLI and learning how much memory it took: the peak RSS of the largest
 * process (host or engine) from `/usr/bin/time` (the kernel's own count, which includes the engine
 * the CLI reaped), and each process's peak (VmHWM) read from /proc while it runs, for a breakdown.
 * Linux only; `timeCommand` is null where /usr/bin/time is missing (Debian/Ubuntu: apt package `time`).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, finished, repoRoot, type CliResult } from './cli-helpers.ts';

export const timeCommand: string | null = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** What a measured test or the bench says when /usr/bin/time is missing. */
export const MISSING_TIME = 'Peak memory is measured with /usr/bin/time, which is missing: install Debian\'s "time" package (apt-get install time).';

export interface MeasuredRun extends CliResult {
  /** Peak RSS of the largest process of the run, in bytes (from /usr/bin/time). */
  peakBytes: number;
  /** Peak RSS of the CLI process itself, and of its engine process (0 when it started none), in bytes. */
  hostPeakBytes: number;
  enginePeakBytes: number;
  wallMs: number;
}

const POLL_MS = 100;
let runs = 0;

/** Runs `rnnwb ARGS` under /usr/bin/time, polling its processes' peak RSS until it exits. */
export async function runCliMeasured(args: string[]): Promise<MeasuredRun> {
  if (!timeCommand) throw new Error(MISSING_TIME);
  const report = path.join(os.tmpdir(), `rnnwb-rss-${process.pid}-${++runs}.txt`);
  const started = performance.now();
  const child = spawn(timeCommand, ['-f', '%M', '-o', report, process.execPath, cliPath, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const peaks = { host: 0, engine: 0 };
  const poll = setInterval(() => {
    for (const pid of childrenOf(child.pid!)) {
      peaks.host = Math.max(peaks.host, peakOf(pid));
      for (const engine of childrenOf(pid)) peaks.engine = Math.max(peaks.engine, peakOf(engine));
    }
  }, POLL_MS);
  try {
    const result = await finished(child);
    const kb = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
    return { ...result, peakBytes: kb * 1024, hostPeakBytes: peaks.host, enginePeakBytes: peaks.engine, wallMs: performance.now() - started };
  } finally {
    clearInterval(poll);
    rmSync(report, { force: true });
  }
}

/** The pids a process started (every thread's children), or none once it is gone. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** A process's peak RSS so far (VmHWM) in bytes, or 0 once it is gone. */
function peakOf(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The shared 1 MiB King James text, the unit big test corpora are made of. */
export const KJV_MIB = path.resolve(repoRoot, '../shared/corpora/kjv-1mib.txt');

/** Writes a corpus of `mib` MiB: the 1 MiB King James text `mib` times (72 distinct characters). */
export function writeBigCorpus(file: string, mib: number): void {
  const unit = readFileSync(KJV_MIB);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, unit);
  } finally {
    closeSync(fd);
  }
}
