/**
 * Running one job on each engine for the PyTorch-engine tests: the built-in trainer as a library call,
 * the PyTorch engine as the real process behind EngineProcess and its launcher. Both collect what a
 * host sees (ready, progress, checkpoints, how it ended). `requireTorch` fails, never skips, when
 * /usr/bin/python3 has no PyTorch.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import type { EngineMessage, StartMessage } from '../../engine/protocol.ts';
import { train, type TrainJob } from '../../engine/train/trainer.ts';
import { EngineProcess, type EngineExit } from '../../main/runs/engine-process.ts';
import { pytorchEngineLauncher, type PytorchLauncherOptions } from '../../main/runs/pytorch-launcher.ts';
import { PYTHON, runPython } from './python.ts';

type Msg<T extends EngineMessage['type']> = Extract<EngineMessage, { type: T }>;

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SEED_TEXT = readFileSync(path.resolve(REPO, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');
export const KJV_SLICE = readFileSync(path.resolve(REPO, '../shared/corpora/kjv-1mib.txt'), 'utf8').slice(0, 6000);

export function requireTorch(): void {
  runPython('import torch');
}

/** A small job: windows of 8, batch 16 (fewer than the windows, so epochs are shuffled), 50 steps. */
export function smallHyper(over: Partial<Hyperparameters> = {}): Hyperparameters {
  return {
    ...DEFAULT_HYPERPARAMETERS, hidden: 16, embed: 8, window: 8, batch: 16, steps: 50, valFraction: 0.1, evalEvery: 10,
    lr: 0.01, seed: 7, ...over,
  };
}

export interface Outcome {
  ready: Msg<'ready'> | null;
  progress: Msg<'progress'>[];
  checkpoints: Msg<'checkpoint'>[];
  done: Msg<'done'> | null;
  error: Msg<'error'> | null;
}

const empty = (): Outcome => ({ ready: null, progress: [], checkpoints: [], done: null, error: null });

export async function runBuiltin(job: TrainJob): Promise<Outcome> {
  const out = empty();
  await train(job, {
    onReady: (m) => (out.ready = m),
    onProgress: (m) => out.progress.push(m),
    onCheckpoint: (m) => out.checkpoints.push(m),
    onDone: (m) => (out.done = m),
    onError: (m) => (out.error = m),
  });
  return out;
}

export interface PytorchRun extends Outcome {
  engine: EngineProcess;
  exit: EngineExit;
}

/** The job on the PyTorch engine (/usr/bin/python3 unless told otherwise); `during` sees the process while it runs. */
export async function runPytorch(
  job: Omit<StartMessage, 'type'>,
  options: PytorchLauncherOptions & { during?: (engine: EngineProcess, out: Outcome) => void } = {},
): Promise<PytorchRun> {
  const engine = new EngineProcess(pytorchEngineLauncher({ python: PYTHON, ...options }));
  const out = empty();
  engine.onReady((m) => (out.ready = m));
  engine.onProgress((m) => out.progress.push(m));
  engine.onCheckpoint((m) => out.checkpoints.push(m));
  engine.onDone((m) => (out.done = m));
  engine.onError((m) => (out.error = m));
  engine.start({ type: 'start', ...job });
  options.during?.(engine, out);
  const exit = await engine.exited;
  return { ...out, engine, exit };
}

/** Per-step training losses agree within `rtol`, relative, step by step (same steps on both sides). */
export function expectSameCurve(ours: Msg<'progress'>[], theirs: Msg<'progress'>[], rtol = 1e-4): void {
  expect(theirs.map((p) => p.step)).toEqual(ours.map((p) => p.step));
  let worst = 0;
  let at = -1;
  ours.forEach((p, i) => {
    const rel = Math.abs(p.trainLoss - theirs[i].trainLoss) / Math.abs(p.trainLoss);
    if (!(rel <= worst)) {
      worst = rel;
      at = p.step;
    }
  });
  expect(worst, `step ${at}: built-in ${ours.find((p) => p.step === at)?.trainLoss}, PyTorch ${theirs.find((p) => p.step === at)?.trainLoss}`).toBeLessThanOrEqual(rtol);
}

export const utf8 = (text: string) => new TextEncoder().encode(text);
