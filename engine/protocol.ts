/**
 * The messages between a host (Electron main, `serve`, the CLI) and an engine process
 * (`engine/worker.ts`). One discriminated union each way; both sides import only this file.
 * Checkpoints travel as safetensors bytes (optimizer state included), so the host stores them as they are.
 */
import type { Hyperparameters } from './config.ts';
import type { KernelPath } from './kernels/types.ts';

export interface SampleSettings {
  /** Prompt the sample starts from (the host takes it from the start of the corpus by default). */
  prompt: string;
  length: number;
  temperature: number;
}

export interface StartMessage {
  type: 'start';
  hyper: Hyperparameters;
  /** The whole training text; the engine builds windows and the validation split itself. */
  corpusText: string;
  /** Vocabulary in code-point order; omitted = built from corpusText. */
  vocab?: string[];
  /** Resume from this checkpoint (safetensors bytes with optimizer state): exact continuation. */
  resumeFrom?: Uint8Array;
  /** Total steps to reach when resuming (defaults to the run's own length). */
  targetSteps?: number;
  /** Generate a sample at each checkpoint with these settings; omitted = no samples. */
  sample?: SampleSettings;
  /** Preferred kernel path; a resumed run keeps the checkpoint's path. */
  kernelPath?: KernelPath;
  /** Emit a progress event every N steps (default 1). */
  progressEvery?: number;
}

export type HostMessage =
  | StartMessage
  | { type: 'stop' }
  | { type: 'pause' }
  | { type: 'resume' };

export interface ProgressMetrics {
  step: number;
  /** Fractional epoch: steps done / batches per epoch (step k of the n in epoch e reports e + k/n). */
  epoch: number;
  /** This step's minibatch loss (mean cross-entropy, nats). */
  trainLoss: number;
  /** Mean training loss since the previous progress event (for smoother display). */
  trainLossAvg: number;
  /** Validation loss when this step evaluated, else null. */
  valLoss: number | null;
  /** Bits per character of this step's minibatch: trainLoss / ln 2. */
  bitsPerChar: number;
  valBitsPerChar: number | null;
  /** Top-1 accuracy of this step's minibatch predictions, 0..1. */
  accuracy: number;
  valAccuracy: number | null;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  lr: number;
  charsPerSec: number;
  elapsedMs: number;
  totalSteps: number;
}

export type CheckpointKind = 'periodic' | 'best' | 'final';

export type EngineMessage =
  | { type: 'ready'; pid: number; kernelPath: KernelPath; threads: number; totalSteps: number; trainWindows: number; valWindows: number; vocabSize: number; parameterCount: number }
  | ({ type: 'progress' } & ProgressMetrics)
  | { type: 'checkpoint'; step: number; kind: CheckpointKind; valLoss: number | null; trainLoss: number; bytes: Uint8Array; sample?: { prompt: string; text: string; temperature: number; length: number } }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'heartbeat'; step: number }
  | { type: 'done'; status: 'done' | 'stopped' | 'early-stopped'; step: number; trainLoss: number; valLoss: number | null }
  | { type: 'error'; message: string; step: number | null };
