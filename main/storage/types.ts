/**
 * What the repositories hand out. Where the contract already has the shape (CorpusSummary,
 * CheckpointSummary, SampleRecord, MetricPoint, DeleteImpact, StorageInfo) it is used as it is, so
 * the service layer passes records through; storage-only fields (ownership, vocabulary) are added.
 */
import type { Hyperparameters } from '../../engine/config.ts';
import type { ProgressMetrics, SampleSettings } from '../../engine/protocol.ts';
import type { Id, RunReproduction, RunStatus, RunSummary } from '../api/contract.ts';

export type {
  CheckpointSummary, CorpusDetail, CorpusSummary, Curve, DeleteImpact, Id, MetricPoint, RunReproduction,
  RunStatus, RunSummary, SampleRecord, StorageInfo, TrashItem, TrashKind,
} from '../api/contract.ts';
export type { SampleSettings } from '../../engine/protocol.ts';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused', 'done', 'stopped', 'failed', 'interrupted'];
/** Statuses after which a run has no process: ending one stamps ended_at and releases the owner. */
export const FINAL_STATUSES: readonly RunStatus[] = ['done', 'stopped', 'failed', 'interrupted'];
/** Statuses that mean "a host process is training this run right now". */
export const LIVE_STATUSES: readonly RunStatus[] = ['running', 'paused'];

/** A corpus to store: its text, or its UTF-8 bytes (valid UTF-8, checked by the caller; a big file is never decoded). */
export type NewCorpus = {
  name: string;
  /** A file path, 'paste', 'drop', 'edit'. */
  source?: string;
} & ({ text: string; bytes?: undefined } | { bytes: Uint8Array; text?: undefined });

export interface Vocabulary {
  id: Id;
  /** In code-point order, as the engine builds it. */
  chars: string[];
  sha256: string;
}

export interface SweepRecord {
  id: Id;
  grid: Record<string, (number | string)[]>;
  createdAt: string;
}

export interface NewRun {
  name: string;
  corpusId: Id | null;
  vocabularyId: Id;
  hyper: Hyperparameters;
  reproduction: RunReproduction;
  sample?: SampleSettings | null;
  totalSteps?: number;
  status?: RunStatus;
  parentRunId?: Id | null;
  sweepId?: Id | null;
}

/** Who trains a run: the host process (Electron main, `serve`, the CLI), not the engine child. */
export interface RunOwner {
  pid: number;
  hostId: string;
}

/** A run as stored, with the summary the lists show. */
export interface RunRecord extends RunSummary {
  vocabularyId: Id;
  reproduction: RunReproduction;
  sample: SampleSettings | null;
  ownerPid: number | null;
  ownerHostId: string | null;
  heartbeatAt: string | null;
}

export interface RunPatch {
  status?: RunStatus;
  reason?: string | null;
  step?: number;
  totalSteps?: number;
  startedAt?: string | null;
  endedAt?: string | null;
  reproduction?: RunReproduction;
  sample?: SampleSettings | null;
}

/** One progress event as stored; `totalSteps` (if present) is ignored, `wallTime` defaults to now. */
export type NewMetric = { runId: Id; wallTime?: string } & Omit<ProgressMetrics, 'totalSteps'> & { totalSteps?: number };

export type StoredCheckpointKind = 'periodic' | 'best' | 'final' | 'imported';

export interface NewCheckpoint {
  runId: Id;
  step: number;
  kind: StoredCheckpointKind;
  valLoss: number | null;
  trainLoss: number | null;
  /** The safetensors file. */
  bytes: Uint8Array;
}

export interface NewSample {
  checkpointId: Id;
  runId: Id;
  step: number;
  prompt: string;
  temperature: number;
  length: number;
  text: string;
}
