/**
 * Turns what one run's engine says into rows and run events: its settings as the engine resolved them
 * (`ready`), progress (told at once, written to the metrics table in batches of `flushRows` rows or
 * every `flushMs`), and checkpoints with their sample (written in one transaction, pruned to the last
 * K + best + final, told once stored). A write that fails goes to `onWriteFailed`, which decides what
 * becomes of the run; once `close`d (the run is on its way out) nothing more is written or told.
 */
import type { EngineSegment, Id, RunEvent } from '../api/contract.ts';
import type { NewMetric, Storage } from '../storage/index.ts';
import type { CheckpointMessage, ProgressMessage, ReadyMessage } from './engine-process.ts';

export interface RecorderOptions {
  flushMs: number;
  flushRows: number;
  /** Where run events go (subscribers hear progress before it is written). */
  tell: (event: RunEvent) => void;
  /** A write was refused; `what` names it for a sentence ("the checkpoint at step 20"). */
  onWriteFailed: (what: string, error: unknown) => void;
}

export class RunRecorder {
  private metrics: NewMetric[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly storage: Storage, private readonly runId: Id, private readonly options: RecorderOptions) {}

  /**
   * The engine resolved the run's length, kernel path and threads (`threads`: what the host asked for),
   * and said who trains where: a new segment of the run's engine record from its current step.
   */
  ready(message: ReadyMessage, threads: number): void {
    this.write("the run's settings", () => {
      const run = this.storage.runs.require(this.runId);
      const segment: EngineSegment = {
        fromStep: run.step,
        engine: message.engine ?? 'builtin',
        device: message.device ?? 'cpu',
        kernelPath: message.kernelPath,
        threads: message.threads || threads,
        ...(message.torchVersion ? { torchVersion: message.torchVersion } : {}),
        ...(message.worldSize ? { worldSize: message.worldSize, nodes: message.nodes ?? 1, host: message.host } : {}),
      };
      this.storage.runs.update(this.runId, {
        totalSteps: message.totalSteps,
        reproduction: {
          ...run.reproduction, kernelPath: message.kernelPath, threads: segment.threads,
          segments: withSegment(run.reproduction.segments ?? [], segment),
        },
      });
    });
  }

  progress(message: ProgressMessage): void {
    if (this.closed) return;
    const { type: _type, totalSteps, ...metric } = message;
    this.options.tell({ type: 'progress', runId: this.runId, metric: { ...metric, totalSteps } });
    this.metrics.push({ runId: this.runId, ...metric, wallTime: new Date().toISOString() });
    if (this.metrics.length >= this.options.flushRows) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.flushMs);
  }

  /** Stored after the metrics before it, so the run's step never runs ahead of its stored metrics. */
  checkpoint(message: CheckpointMessage): void {
    this.flush();
    this.write(`the checkpoint at step ${message.step}`, () => {
      const { runId, storage } = this;
      const run = storage.runs.require(runId);
      const { checkpoint, sample } = storage.transaction(() => {
        const checkpoint = storage.checkpoints.add({
          runId, step: message.step, kind: message.kind, valLoss: message.valLoss, trainLoss: message.trainLoss, bytes: message.bytes,
        });
        const sample = message.sample ? storage.samples.add({ checkpointId: checkpoint.id, runId, step: message.step, ...message.sample }) : null;
        storage.checkpoints.prune(runId, run.hyper.keepLast);
        storage.runs.setStep(runId, Math.max(run.step, message.step));
        return { checkpoint, sample };
      });
      this.options.tell({ type: 'checkpoint', runId, checkpoint });
      if (sample) this.options.tell({ type: 'sample', runId, sample });
    });
  }

  /** Writes the metrics held back so far. */
  flush(): void {
    this.stopTimer();
    if (this.metrics.length === 0) return;
    const rows = this.metrics.splice(0);
    const what = rows.length === 1 ? `the metrics of step ${rows[0].step}` : `the metrics of steps ${rows[0].step}–${rows[rows.length - 1].step}`;
    this.write(what, () => this.storage.recordProgress(this.runId, rows));
  }

  /** The run is on its way out: what is held back is dropped, and nothing more is written. */
  close(): void {
    this.closed = true;
    this.metrics = [];
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /** A refused write must not take the host down, nor let the run train on unrecorded. */
  private write(what: string, fn: () => void): void {
    if (this.closed || !this.storage.isOpen) return;
    try {
      fn();
    } catch (error) {
      this.options.onWriteFailed(what, error);
    }
  }
}

/** A run restarted on the same engine and device (after a pause across restarts) stays one segment. */
function withSegment(segments: readonly EngineSegment[], segment: EngineSegment): EngineSegment[] {
  const last = segments[segments.length - 1];
  const same = last && last.engine === segment.engine && last.device === segment.device && last.kernelPath === segment.kernelPath
    && last.threads === segment.threads && last.torchVersion === segment.torchVersion
    && last.worldSize === segment.worldSize && last.nodes === segment.nodes && last.host === segment.host;
  return same ? [...segments] : [...segments, segment];
}
