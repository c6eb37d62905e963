/**
 * RunManager — trains the runs of one host process (the Electron app, `serve`, the CLI) on top of the
 * database. A run is stored first (status 'queued'); the manager claims it, starts one engine process
 * per run up to a concurrency limit, and turns what the engine says into rows and events:
 * progress goes to subscribers at once and to the metrics table in batches; checkpoints (safetensors
 * bytes) are stored with their sample and pruned to the last K + best + final; the way the process
 * ended becomes the run's status and reason.
 *
 * Several hosts may share one database, so nothing is swept blindly: a run belongs to the host that
 * claimed it (pid + hostname), each host stamps a heartbeat on its runs, and a run is only marked
 * 'interrupted' when its owner is provably gone: on this machine its pid is dead (or reused) — a live
 * but silent host keeps its runs; on another machine its heartbeat is older than 10 s.
 *
 * A run that has checkpoints always starts from its latest one (exact resume): that is how a paused
 * run resumes after the app restarted, and how a continued run (which starts with a copy of the
 * checkpoint it continues from) keeps its parent's step numbering.
 */
import { availableParallelism, hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { StartMessage } from '../../engine/protocol.ts';
import { ApiError, type Id, type RunEvent, type RunStatus } from '../api/contract.ts';
import { whyOwnerIsGone, type NewMetric, type RunOwner, type RunRecord, type Storage } from '../storage/index.ts';
import { Emitter } from './emitter.ts';
import { EngineProcess, type EngineExit } from './engine-process.ts';
import { nodeEngineLauncher, type EngineLauncher } from './launcher.ts';

export interface RunManagerOptions {
  storage: Storage;
  launcher?: EngineLauncher;
  /** Runs trained at once (default: the number of cores). */
  concurrency?: number;
  /** Take over queued runs nobody trains (left by a host that closed). Hosts that live long should; a one-shot CLI should not. */
  adoptQueued?: boolean;
  /** How often the heartbeat is stamped and dead owners are looked for (ms, default 3000). */
  heartbeatMs?: number;
  /** A heartbeat older than this means its host is gone (ms, default 10000). */
  staleMs?: number;
  /** Metrics are written every `flushMs` or every `flushRows` rows, whichever comes first. */
  flushMs?: number;
  flushRows?: number;
  /** Cores to share out (default os.availableParallelism()). */
  cores?: number;
}

export interface ShutdownOptions {
  /** Checkpoint the running runs and leave them 'paused' (resumable) instead of 'stopped'. */
  pauseRunning?: boolean;
  /** How long each engine gets to write its final checkpoint before it is killed (ms, default 15000). */
  graceMs?: number;
}

interface ActiveRun {
  runId: Id;
  engine: EngineProcess;
  metrics: NewMetric[];
  flushTimer: NodeJS.Timeout | null;
  /** Set when the engine was stopped to park the run as paused (app quit). */
  parkOnExit: boolean;
  paused: boolean;
  /** A resume was sent and the engine has not said 'resumed' yet: it holds a slot already. */
  resuming: boolean;
  stopRequested: boolean;
}

const PARKED_REASON = 'Paused when the workbench closed; resume it to go on from its last checkpoint.';
const waitingReason = (limit: number) =>
  `Waiting to resume: ${limit === 1 ? 'another run is' : `${limit} runs are`} training (the concurrency limit); it goes on when one ends or pauses.`;

export class RunManager {
  private readonly storage: Storage;
  private readonly launcher: EngineLauncher;
  private readonly owner: RunOwner = { pid: process.pid, hostId: hostname() };
  private readonly cores: number;
  private readonly options: Required<Pick<RunManagerOptions, 'heartbeatMs' | 'staleMs' | 'flushMs' | 'flushRows'>>;
  private readonly events = new Emitter<RunEvent>();
  private readonly queue: Id[] = [];
  private readonly active = new Map<Id, ActiveRun>();
  private readonly settledWaiters = new Map<Id, ((run: RunRecord) => void)[]>();
  private limit: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private started = false;
  private readonly interruptIfUnchanged: Statement;
  private readonly adoptQueued: boolean;
  private scheduled = false;
  /** The managers of this process that have started and not shut down. */
  private static readonly live = new Set<RunManager>();

  /** Every run event of this host: progress, status, checkpoint, sample (and what the service adds). */
  readonly onEvent = this.events.subscribe;

  constructor(options: RunManagerOptions) {
    this.storage = options.storage;
    this.launcher = options.launcher ?? nodeEngineLauncher();
    this.cores = Math.max(1, options.cores ?? availableParallelism());
    this.limit = checkLimit(options.concurrency ?? this.cores);
    this.options = {
      heartbeatMs: options.heartbeatMs ?? 3000,
      staleMs: options.staleMs ?? 10_000,
      flushMs: options.flushMs ?? 250,
      flushRows: options.flushRows ?? 200,
    };
    // Conditional on the row being exactly as we read it, so a host that beats in between keeps its run.
    this.interruptIfUnchanged = this.storage.db.prepare(`UPDATE runs SET status = 'interrupted', reason = @reason,
        ended_at = @now, owner_pid = NULL, owner_host_id = NULL, heartbeat_at = NULL
      WHERE id = @id AND status = @status AND owner_pid IS @pid AND heartbeat_at IS @heartbeatAt`);
    this.adoptQueued = options.adoptQueued ?? false;
  }

  /** Marks the runs of dead hosts interrupted, starts the heartbeat, and starts queued work. */
  start(): void {
    if (this.started) return;
    this.started = true;
    RunManager.live.add(this);
    this.markInterrupted();
    if (this.adoptQueued) {
      for (const run of this.storage.runs.list({ statuses: ['queued'] }).reverse()) this.enqueue(run.id);
    }
    this.timer = setInterval(() => this.tick(), this.options.heartbeatMs);
    this.timer.unref();
    this.schedule();
  }

  get concurrency(): number {
    return this.limit;
  }

  setConcurrency(limit: number): void {
    this.limit = checkLimit(limit);
    this.schedule();
  }

  /** Fires a run event (the service adds 'created' and 'deleted'). */
  emit(event: RunEvent): void {
    this.events.fire(event);
  }

  /** Queues a stored 'queued' run; it starts when a slot is free. */
  enqueue(runId: Id): void {
    if (this.closed) throw new ApiError('The workbench is shutting down; no new runs start.', 'conflict');
    if (this.queue.includes(runId) || this.active.has(runId)) return;
    this.queue.push(runId);
    this.scheduleSoon();
  }

  /** Runs queued in one go (a sweep, a loop of enqueues) are counted together when threads are shared out. */
  private scheduleSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.schedule();
    });
  }

  isQueuedHere(runId: Id): boolean {
    return this.queue.includes(runId);
  }

  isActive(runId: Id): boolean {
    return this.active.has(runId);
  }

  /** The OS pid of the engine process training this run, if one is. */
  enginePid(runId: Id): number | undefined {
    return this.active.get(runId)?.engine.pid;
  }

  /** Run ids with an engine process right now. */
  activeRunIds(): Id[] {
    return [...this.active.keys()];
  }

  /** Resolves once the run has reached done, stopped, failed or interrupted (or a parked pause). */
  whenSettled(runId: Id): Promise<RunRecord> {
    const run = this.storage.runs.get(runId);
    if (run && this.isSettled(run)) return Promise.resolve(run);
    return new Promise((resolve) => {
      const list = this.settledWaiters.get(runId) ?? [];
      list.push(resolve);
      this.settledWaiters.set(runId, list);
    });
  }

  pause(runId: Id): void {
    const run = this.storage.runs.require(runId);
    const active = this.active.get(runId);
    if (!active) throw new ApiError(`Run "${run.name}" is ${run.status}; only a running run can pause.`, 'conflict');
    if (active.paused && !active.resuming) {
      // Pausing a run that waits to resume takes it out of the queue: it stays paused.
      if (this.dequeue(runId)) this.emitStatus(this.storage.runs.update(runId, { reason: null }));
      return;
    }
    active.engine.pause();
  }

  /**
   * A paused engine does not count toward the concurrency limit (pausing one lets a queued run start),
   * so resuming one must wait for a free slot like any queued run. It waits as it is, paused with its
   * engine alive and a reason saying why, not as 'queued': that status means no process holds the run,
   * and a queued run with an owner would escape both the heartbeat and the check for dead owners.
   * It goes first in the queue: its engine and memory are taken already.
   */
  resume(runId: Id): void {
    const run = this.storage.runs.require(runId);
    const active = this.active.get(runId);
    if (active) {
      if (!active.paused) active.engine.resume(); // running, or a pause on its way (which this cancels)
      else if (active.resuming || this.queue.includes(runId)) return;
      else if (this.runningCount() < this.limit) this.resumeEngine(active);
      else {
        this.queue.unshift(runId);
        this.emitStatus(this.storage.runs.update(runId, { reason: waitingReason(this.limit) }));
      }
      return;
    }
    if (run.status !== 'paused') throw new ApiError(`Run "${run.name}" is ${run.status}; only a paused run can resume.`, 'conflict');
    if (run.ownerPid !== null && !(run.ownerPid === this.owner.pid && run.ownerHostId === this.owner.hostId)) {
      throw new ApiError(`Run "${run.name}" is paused in another workbench process (pid ${run.ownerPid}); resume it there.`, 'conflict');
    }
    // A parked run (paused at quit): queue it again; it starts from its latest checkpoint.
    this.storage.runs.update(runId, { status: 'queued', reason: null });
    this.emitStatus(this.storage.runs.require(runId));
    this.enqueue(runId);
  }

  stop(runId: Id): void {
    const run = this.storage.runs.require(runId);
    const active = this.active.get(runId);
    if (active) {
      this.dequeue(runId); // it may be waiting to resume
      active.stopRequested = true;
      active.engine.stop();
      return;
    }
    this.dequeue(runId);
    if (run.status === 'queued' || (run.status === 'paused' && run.ownerPid === null)) {
      this.settle(this.storage.runs.setStatus(runId, 'stopped', run.status === 'queued' ? 'Stopped before it started.' : null));
      return;
    }
    if (run.status === 'running' || run.status === 'paused') {
      throw new ApiError(`Run "${run.name}" is trained by another workbench process (pid ${run.ownerPid}); stop it there.`, 'conflict');
    }
    throw new ApiError(`Run "${run.name}" is already ${run.status}.`, 'conflict');
  }

  /** Forgets a run that is about to be deleted: out of the queue, its engine (if any) killed. */
  async forget(runId: Id): Promise<void> {
    this.dequeue(runId);
    const active = this.active.get(runId);
    if (active) {
      active.stopRequested = true;
      await active.engine.waitForExit(0);
    }
  }

  /**
   * For app quit (`pauseRunning`): every running run is stopped so its engine writes a final
   * checkpoint, then left 'paused' and unowned, to be resumed later. Otherwise running runs end 'stopped'.
   * Queued runs stay queued. Runs in the database belonging to other hosts are not touched.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    RunManager.live.delete(this);
    this.queue.length = 0;
    const graceMs = options.graceMs ?? 15_000;
    await Promise.all([...this.active.values()].map(async (active) => {
      active.parkOnExit = options.pauseRunning === true;
      active.stopRequested = true;
      // A paused engine wakes for 'stop' too.
      active.engine.stop();
      await active.engine.waitForExit(graceMs);
    }));
  }

  // ------------------------------------------------------------------ internals

  private tick(): void {
    if (this.closed || !this.storage.isOpen) return;
    try {
      this.storage.runs.heartbeatOwned(this.owner);
      this.markInterrupted();
    } catch (error) {
      console.error('The run heartbeat failed:', error);
    }
  }

  /**
   * Marks 'interrupted' the live runs whose owner is gone: a dead (or reused) pid on this machine, a
   * heartbeat older than `staleMs` on another, or this very process without an engine for it (a
   * previous process with our pid). A paused run without an owner was parked on purpose and is left alone.
   */
  markInterrupted(now: number = Date.now()): RunRecord[] {
    const marked: RunRecord[] = [];
    for (const run of this.storage.runs.list({ statuses: ['running', 'paused'] })) {
      const reason = this.whyRunIsOrphaned(run, now);
      if (reason === null) continue;
      const info = this.interruptIfUnchanged.run({
        id: run.id, status: run.status, reason, now: new Date(now).toISOString(), pid: run.ownerPid, heartbeatAt: run.heartbeatAt,
      });
      if (info.changes > 0) {
        const updated = this.storage.runs.require(run.id);
        marked.push(updated);
        this.emitStatus(updated);
        this.settle(updated);
      }
    }
    return marked;
  }

  private whyRunIsOrphaned(run: RunRecord, now: number): string | null {
    if (run.ownerPid === null) {
      return run.status === 'paused' ? null : 'No process owns it (its host closed without finishing it).';
    }
    if (run.ownerHostId === this.owner.hostId && run.ownerPid === this.owner.pid) {
      // Ours (this process may hold several managers, e.g. in tests): gone only if none trains it.
      for (const manager of RunManager.live) if (manager.active.has(run.id)) return null;
      return 'The process that trained it ended without finishing it.';
    }
    return whyOwnerIsGone(run, { hostId: this.owner.hostId, now, staleMs: this.options.staleMs });
  }

  /** Engines training or about to (a paused one counts again from the moment its resume is sent). */
  private runningCount(): number {
    let n = 0;
    for (const active of this.active.values()) if (!active.paused || active.resuming) n++;
    return n;
  }

  /** Takes a run out of the queue; true when it was there. */
  private dequeue(runId: Id): boolean {
    const index = this.queue.indexOf(runId);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    return true;
  }

  private resumeEngine(active: ActiveRun): void {
    active.resuming = true;
    active.engine.resume();
  }

  private schedule(): void {
    if (!this.started || this.closed) return;
    while (this.queue.length > 0 && this.runningCount() < this.limit) {
      const runId = this.queue.shift()!;
      const waiting = this.active.get(runId);
      if (waiting) {
        // A paused engine whose resume waited for this slot.
        this.resumeEngine(waiting);
        continue;
      }
      try {
        this.launch(runId);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const run = this.storage.runs.get(runId);
        if (run && !this.isSettled(run)) this.finish(runId, 'failed', `Could not start: ${message}`);
      }
    }
  }

  /**
   * Threads for a run starting now: its own `threads` is the upper bound; alone it gets up to every
   * core, and one when runs share the machine (one thread per run keeps them from fighting for cores).
   */
  /** `wanted` is the run's upper bound (0 = automatic); runs sharing the machine get one thread each. */
  private threadsFor(wanted: number): number {
    const sharing = this.active.size + this.queue.length + 1 > 1;
    const available = sharing ? 1 : Math.min(64, this.cores);
    return Math.max(1, wanted === 0 ? available : Math.min(wanted, available));
  }

  private launch(runId: Id): void {
    const queued = this.storage.runs.get(runId);
    if (!queued || queued.status !== 'queued') return;
    const corpusText = queued.corpusId === null ? null : this.storage.corpora.text(queued.corpusId);
    if (corpusText === null) {
      this.finish(runId, 'failed', 'Its corpus no longer exists, so it cannot train.');
      return;
    }
    const run = this.storage.runs.claimRun(runId, this.owner);
    if (!run) return; // another host took it
    const threads = this.threadsFor(run.hyper.threads);
    const latest = this.storage.checkpoints.latest(runId);
    const resumeFrom = latest ? this.storage.checkpoints.bytes(latest.id) ?? undefined : undefined;
    const vocab = this.storage.vocabularies.get(run.vocabularyId)?.chars;
    const job: StartMessage = {
      type: 'start',
      hyper: { ...run.hyper, threads },
      corpusText,
      ...(vocab ? { vocab } : {}),
      ...(resumeFrom ? { resumeFrom, targetSteps: run.totalSteps } : {}),
      ...(run.sample ? { sample: run.sample } : {}),
      ...(run.reproduction.kernelPath ? { kernelPath: run.reproduction.kernelPath } : {}),
    };
    const engine = new EngineProcess(this.launcher);
    const active: ActiveRun = {
      runId, engine, metrics: [], flushTimer: null, parkOnExit: false, paused: false, resuming: false, stopRequested: false,
    };
    this.active.set(runId, active);
    this.wire(active, threads);
    this.emitStatus(run);
    try {
      engine.start(job);
    } catch (error) {
      this.active.delete(runId);
      throw error;
    }
  }

  private wire(active: ActiveRun, threads: number): void {
    const { runId, engine } = active;
    engine.onReady((ready) => this.guard(runId, () => {
      const run = this.storage.runs.require(runId);
      this.storage.runs.update(runId, {
        totalSteps: ready.totalSteps,
        reproduction: { ...run.reproduction, kernelPath: ready.kernelPath, threads: ready.threads || threads },
      });
    }));
    engine.onProgress((message) => {
      const { type: _type, totalSteps, ...metric } = message;
      this.events.fire({ type: 'progress', runId, metric: { ...metric, totalSteps } });
      active.metrics.push({ runId, ...metric, wallTime: new Date().toISOString() });
      if (active.metrics.length >= this.options.flushRows) this.flush(active);
      else active.flushTimer ??= setTimeout(() => this.flush(active), this.options.flushMs);
    });
    engine.onCheckpoint((message) => this.guard(runId, () => {
      this.flush(active);
      const run = this.storage.runs.require(runId);
      const { checkpoint, sample } = this.storage.transaction(() => {
        const checkpoint = this.storage.checkpoints.add({
          runId, step: message.step, kind: message.kind, valLoss: message.valLoss, trainLoss: message.trainLoss, bytes: message.bytes,
        });
        const sample = message.sample
          ? this.storage.samples.add({ checkpointId: checkpoint.id, runId, step: message.step, ...message.sample })
          : null;
        this.storage.checkpoints.prune(runId, run.hyper.keepLast);
        this.storage.runs.setStep(runId, Math.max(run.step, message.step));
        return { checkpoint, sample };
      });
      this.events.fire({ type: 'checkpoint', runId, checkpoint });
      if (sample) this.events.fire({ type: 'sample', runId, sample });
    }));
    engine.onPaused(() => this.guard(runId, () => {
      active.paused = true;
      this.flush(active);
      this.emitStatus(this.storage.runs.setStatus(runId, 'paused'));
      this.schedule();
    }));
    engine.onResumed(() => this.guard(runId, () => {
      active.paused = false;
      active.resuming = false;
      this.emitStatus(this.storage.runs.setStatus(runId, 'running'));
    }));
    engine.onExit((exit) => this.guard(runId, () => this.handleExit(active, exit)));
  }

  private handleExit(active: ActiveRun, exit: EngineExit): void {
    const { runId } = active;
    this.flush(active);
    this.active.delete(runId);
    this.dequeue(runId); // an engine that dies while waiting to resume
    if (!this.storage.isOpen) return;
    if (!this.storage.runs.get(runId)) {
      this.schedule();
      return; // deleted while it trained
    }
    // Parked at quit: stopped with a final checkpoint, or (killed after the grace period) with an older one.
    const canPark = exit.reason === 'stopped' || (exit.reason === 'killed' && this.storage.checkpoints.latest(runId) !== null);
    if (active.parkOnExit && canPark) {
      const reason = exit.reason === 'stopped' ? PARKED_REASON : `${PARKED_REASON} (It did not stop in time; it resumes from step ${this.storage.checkpoints.latest(runId)!.step}.)`;
      this.storage.runs.setStatus(runId, 'paused', reason);
      this.storage.runs.release(runId);
      const parked = this.storage.runs.require(runId);
      this.emitStatus(parked);
      this.settle(parked);
      return;
    }
    switch (exit.reason) {
      case 'done':
        this.finish(runId, 'done', /early stop/.test(exit.message) ? exit.message : null);
        break;
      case 'stopped':
        this.finish(runId, 'stopped', active.stopRequested ? null : exit.message);
        break;
      case 'error':
        this.finish(runId, 'failed', exit.message);
        break;
      case 'crashed':
        this.finish(runId, 'failed', exit.message);
        break;
      case 'killed':
        this.finish(runId, active.parkOnExit || active.stopRequested ? 'stopped' : 'failed', exit.message);
        break;
    }
    this.schedule();
  }

  private finish(runId: Id, status: RunStatus, reason: string | null): void {
    const run = this.storage.runs.setStatus(runId, status, reason);
    this.emitStatus(run);
    this.settle(run);
  }

  private flush(active: ActiveRun): void {
    if (active.flushTimer) {
      clearTimeout(active.flushTimer);
      active.flushTimer = null;
    }
    if (active.metrics.length === 0 || !this.storage.isOpen) return;
    const rows = active.metrics.splice(0);
    try {
      if (this.storage.runs.get(active.runId)) this.storage.recordProgress(active.runId, rows);
    } catch (error) {
      console.error(`Could not store the metrics of run #${active.runId}:`, error);
    }
  }

  private emitStatus(run: RunRecord): void {
    this.events.fire({ type: 'status', runId: run.id, status: run.status, reason: run.reason });
  }

  private isSettled(run: RunRecord): boolean {
    return ['done', 'stopped', 'failed', 'interrupted'].includes(run.status) || (run.status === 'paused' && run.ownerPid === null);
  }

  private settle(run: RunRecord): void {
    if (!this.isSettled(run)) return;
    const waiters = this.settledWaiters.get(run.id);
    if (!waiters) return;
    this.settledWaiters.delete(run.id);
    for (const resolve of waiters) resolve(run);
  }

  /** Storage errors in an event handler must not take the host down; they are logged with the run. */
  private guard(runId: Id, fn: () => void): void {
    try {
      if (this.storage.isOpen) fn();
    } catch (error) {
      console.error(`Run #${runId}:`, error);
    }
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 256) {
    throw new ApiError(`The concurrency limit must be a whole number from 1 to 256 (got ${limit}).`);
  }
  return limit;
}
