/**
 * InspectJobs — the host side of inspect processes (engine/inspect-worker.ts): one process per job, a
 * job record a caller polls (state, phase, progress), and cancel that ends the engine work within a
 * second: it asks, and kills the process when it has not ended by then. Finished records are kept
 * for a while (the last 100) so a late poll still learns how the job ended.
 */
import type { InspectEngineMessage, InspectHostMessage } from '../../engine/inspect/protocol.ts';
import type { HostMessage } from '../../engine/protocol.ts';
import { engineEntry, nodeEngineLauncher, type EngineChannel, type EngineLauncher } from '../runs/launcher.ts';

/** How long a cancelled job's process gets to end by itself before it is killed. */
export const CANCEL_GRACE_MS = 1000;
const KEEP_FINISHED = 100;

export type JobState = 'running' | 'done' | 'cancelled' | 'failed';

export interface JobRecord {
  id: number;
  kind: 'trace' | 'ngram';
  state: JobState;
  phase: string;
  done: number;
  total: number;
  /** Set by the caller's onResult when the job is done. */
  resultId: string | null;
  message: string | null;
  /** The engine process's id while it runs (tests check it is gone after cancel). */
  pid: number | undefined;
}

interface LiveJob {
  record: JobRecord;
  channel: EngineChannel;
  ended: Promise<void>;
}

export function nodeInspectLauncher(): EngineLauncher {
  return nodeEngineLauncher({ workerPath: engineEntry('inspect-worker') });
}

export class InspectJobs {
  private nextId = 1;
  private readonly live = new Map<number, LiveJob>();
  private readonly records = new Map<number, JobRecord>();

  constructor(private readonly launcher: EngineLauncher = nodeInspectLauncher()) {}

  /**
   * Starts a process for `job`. `onResult` turns the engine's final message into a result id (it
   * stores the result); when it throws, the job fails with its message.
   */
  start(kind: JobRecord['kind'], job: InspectHostMessage, onResult: (message: InspectEngineMessage) => string): JobRecord {
    const record: JobRecord = { id: this.nextId++, kind, state: 'running', phase: 'start', done: 0, total: 0, resultId: null, message: null, pid: undefined };
    this.remember(record);
    const channel = this.launcher();
    record.pid = channel.pid;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    this.live.set(record.id, { record, channel, ended });
    channel.onMessage((raw) => {
      const message = raw as unknown as InspectEngineMessage;
      if (record.state !== 'running') return;
      switch (message.type) {
        case 'progress':
          Object.assign(record, { phase: message.phase, done: message.done, total: message.total });
          return;
        case 'cancelled':
          record.state = 'cancelled';
          return;
        case 'error':
          Object.assign(record, { state: 'failed', message: message.message });
          return;
        default:
          try {
            record.resultId = onResult(message);
            record.state = 'done';
            record.done = record.total;
          } catch (error) {
            Object.assign(record, { state: 'failed', message: error instanceof Error ? error.message : String(error) });
          }
      }
    });
    channel.onExit((exit) => {
      if (record.state === 'running') {
        const how = exit.failure ?? (exit.signal ? `it was ended by signal ${exit.signal}` : `it exited with code ${exit.code}`);
        Object.assign(record, { state: 'failed', message: `The inspect process stopped before finishing: ${how}.` });
      }
      record.pid = undefined;
      this.live.delete(record.id);
      resolveEnded();
    });
    // The channel is typed for the training protocol; the inspect worker reads its own messages from it.
    channel.post(job as unknown as HostMessage);
    return record;
  }

  /** A record already finished at birth (a cached result), so callers poll one way. */
  finished(kind: JobRecord['kind'], resultId: string): JobRecord {
    const record: JobRecord = { id: this.nextId++, kind, state: 'done', phase: 'cached', done: 1, total: 1, resultId, message: null, pid: undefined };
    this.remember(record);
    return record;
  }

  get(id: number): JobRecord | null {
    return this.records.get(id) ?? null;
  }

  /** The running job whose result will be `key`, to share one process among callers asking the same. */
  running(match: (record: JobRecord) => boolean): JobRecord | null {
    for (const { record } of this.live.values()) if (record.state === 'running' && match(record)) return record;
    return null;
  }

  /** Asks the job to stop; kills its process when it has not ended within CANCEL_GRACE_MS. Resolves once it has ended. */
  async cancel(id: number): Promise<JobRecord | null> {
    const job = this.live.get(id);
    if (!job) return this.get(id);
    if (job.record.state === 'running') job.record.state = 'cancelled';
    job.channel.post({ type: 'cancel' } as unknown as HostMessage);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CANCEL_GRACE_MS)));
    if ((await Promise.race([job.ended, late])) === 'late') {
      job.channel.kill();
      await job.ended;
    }
    clearTimeout(timer);
    return job.record;
  }

  /** Ends every process at once (the service is closing). */
  async closeAll(): Promise<void> {
    const ending = [...this.live.values()].map((job) => {
      if (job.record.state === 'running') job.record.state = 'cancelled';
      job.channel.kill();
      return job.ended;
    });
    await Promise.all(ending);
  }

  private remember(record: JobRecord): void {
    this.records.set(record.id, record);
    if (this.records.size <= KEEP_FINISHED) return;
    for (const [id, r] of this.records) {
      if (this.records.size <= KEEP_FINISHED) break;
      if (r.state !== 'running') this.records.delete(id);
    }
  }
}
