/**
 * The messages between a host (Electron main, `serve`, the CLI) and an engine process
 * (`engine/worker.ts`, or the PyTorch engine `engine/pytorch/main.py`). One discriminated union each
 * way; both sides import only this file. Checkpoints travel as safetensors bytes (optimizer state
 * included), so the host stores them as they are. The built-in engine gets these messages through Node
 * IPC (and sends its own in batches: `EngineSend`); an engine in another language gets them over
 * stdin/stdout in the framing of docs/engine-protocol.md (JSON lines, binary fields as raw blobs after their line).
 */
import type { Hyperparameters } from './config.ts';
import type { KernelPath } from './kernels/types.ts';

/**
 * The one command-line flag of a built-in engine process: `--warm-threads=N` starts its kernels on N
 * threads before the start message arrives (a spare process, started ahead of its job).
 */
export const WARM_THREADS_FLAG = '--warm-threads=';

export interface SampleSettings {
  /** Prompt the sample starts from (the host takes it from the start of the corpus by default). */
  prompt: string;
  length: number;
  temperature: number;
}

export interface StartMessage {
  type: 'start';
  hyper: Hyperparameters;
  /** The whole training text; the engine builds windows and the validation split itself. Give this or `corpusBytes`. */
  corpusText?: string;
  /**
   * The training text as UTF-8 bytes: what hosts send, so neither side holds a decoded copy. The trainer
   * takes them over and lets go of them (clears this field) once they are ids.
   */
  corpusBytes?: Uint8Array;
  /**
   * The corpus came ahead in `corpus-chunk` messages totalling this many bytes (a big corpus in one
   * message would be copied whole by the channel several times); the engine assembles it into `corpusBytes`.
   */
  corpusChunked?: number;
  /** Vocabulary in code-point order; omitted = built from the corpus. */
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
  /**
   * Start from these weights (a checkpoint's bytes; its optimizer state, if any, is ignored) instead of
   * the engine's own initialisation. The PyTorch engine's launcher sends the built-in initialisation this
   * way, so the same job starts from the same numbers on both engines. The built-in engine ignores it.
   */
  initialWeights?: Uint8Array;
  /** Where the arithmetic runs (PyTorch engine): auto = CUDA, then MPS, then CPU. The built-in engine is CPU only and ignores it. */
  device?: EngineDevice;
}

// The engine choice is two fields of the hyperparameter table (engine/fields.ts).
import type { EngineDevice, EngineKind } from './fields.ts';
export type { EngineDevice, EngineKind } from './fields.ts';
export { ENGINE_DEVICES } from './fields.ts';

/**
 * An engine's `ready`. `kernelPath` is the built-in engine's kernel set (null for an engine without
 * one); `engine` and `device` say who trains where (absent = the built-in engine on the CPU);
 * `device` is e.g. "cpu" or "cuda:0 (NVIDIA H200, 139.8 GiB)".
 */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  kernelPath: KernelPath | null;
  threads: number;
  totalSteps: number;
  trainWindows: number;
  valWindows: number;
  vocabSize: number;
  parameterCount: number;
  engine?: EngineKind;
  device?: string;
  torchVersion?: string;
  /** Processes training this run (torchrun's world size; 1 without it), on how many nodes, and the host of rank 0. */
  worldSize?: number;
  nodes?: number;
  host?: string;
}

/** One piece of a corpus sent ahead of its start message (offsets in bytes; `total` is the whole corpus). */
export interface CorpusChunkMessage {
  type: 'corpus-chunk';
  offset: number;
  total: number;
  bytes: Uint8Array;
}

export type HostMessage =
  | StartMessage
  | CorpusChunkMessage
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
  | ReadyMessage
  | ({ type: 'progress' } & ProgressMetrics)
  | { type: 'checkpoint'; step: number; kind: CheckpointKind; valLoss: number | null; trainLoss: number; bytes: Uint8Array; sample?: { prompt: string; text: string; temperature: number; length: number } }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'heartbeat'; step: number }
  | { type: 'done'; status: 'done' | 'stopped' | 'early-stopped'; step: number; trainLoss: number; valLoss: number | null }
  | { type: 'error'; message: string; step: number | null };

/**
 * One send of the built-in engine over Node IPC: a message, or the messages it posted between two turns
 * of its event loop, in order (a training step posts its progress every few milliseconds; one pipe
 * write per step would wake the host, and take a core from the training, as often).
 */
export type EngineSend = EngineMessage | EngineMessage[];

/** The messages of one send, in order. */
export const engineMessagesOf = (sent: EngineSend): EngineMessage[] => (Array.isArray(sent) ? sent : [sent]);
