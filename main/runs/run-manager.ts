/**
 * RunManager — trains the runs of one host process (the Electron app, `serve`, the CLI) on top of the
 * database. A run is stored first (status 'queued'); the manager claims it, starts one engine process
 * per run up to a concurrency limit, and ends it as its engine ended. It holds the parts together:
 * - the queue (run-queue.ts) and the concurrency limit (here);
 * - each run's state, one value with its transitions and exit outcomes in run-state.ts;
 * - what the engine says, written as rows and told as events by run-recorder.ts;
 * - outcomes the disk had no room for, kept and retried by run-outcomes.ts;
 * - owner liveness, decided in storage (owner-liveness.ts): several hosts may share one database, so a
 *   run is only marked 'interrupted' when its owner is provably gone;
 * - deletions of runs another process trains (run-deletion.ts).
 *
 * A run that has checkpoints always starts from its latest one (exact resume): that is how a paused
 * run resumes after the app restarted, and how a continued run (which starts with a copy of the
 * checkpoint it continues from) keeps its parent's step numbering.
 *
 * A refused write stops its run at once (engine ended, status 'failed' with a sentence); a full disk
 * also parks the host's other runs (see write-failures.ts). Another process may ask for a run to stop
 * (to delete it): the owner reads the request on its heartbeat tick; a run deleted under it ends its
 * engine quietly.
 */
import { availableParallelism, hostname } from 'node:os';
import type { Hyperparameters } from '../../engine/config.ts';
import type { StartMessage } from '../../engine/protocol.ts';
import { ApiError, type Id, type RunEvent, type RunStatus } from '../api/contract.ts';
import { FINAL_STATUSES, type RunOwner, type RunRecord, type Storage } from '../storage/index.ts';
import { Emitter } from './emitter.ts';
import { EngineProcess, type EngineExit } from './engine-process.ts';
import { pythonChoice } from './engines.ts';
import { nodeEngineLauncher, type EngineLauncher } from './launcher.ts';
import { pytorchEngineLauncher } from './pytorch-launcher.ts';
import { threadShare } from './thread-share.ts';
import { settleForDeletion, type DeletionOptions } from './run-deletion.ts';
import { RunOutcomes } from './run-outcomes.ts';
import { RunQueue } from './run-queue.ts';
import { RunRecorder } from './run-recorder.ts';
import { exitOutcome, holdsSlot, isEnding, nextState, type RunInput, type RunState } from './run-state.ts';
import { diskFullFailure, diskFullPause, isDiskFull, oneLine, writeFailure } from './write-failures.ts';

export type { DeletionOptions } from './run-deletion.ts';

export interface RunManagerOptions {
  storage: Storage;
  launcher?: EngineLauncher;
  /** The PyTorch engine's launcher (default: engine/pytorch with the python of engines.ts pythonChoice, asked at each launch). */
  pytorchLauncher?: EngineLauncher;
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
  recorder: RunRecorder;
  /** Changed only through `move`. */
  state: RunState;
}

const STOPPED_ON_REQUEST = 'Stopped at the request of another workbench process.';
const waitingReason = (limit: number) =>
  `Waiting to resume: ${limit === 1 ? 'another run is' : `${limit} runs are`} training (the concurrency limit); it goes on when one ends or pauses.`;

export class RunManager {
  private readonly storage: Storage;
  private readonly launcher: EngineLauncher;
  private readonly pytorchLauncher: EngineLauncher | null;
  private readonly owner: RunOwner = { pid: process.pid, hostId: hostname() };
  private readonly cores: number;
  private readonly options: Required<Pick<RunManagerOptions, 'heartbeatMs' | 'staleMs' | 'flushMs' | 'flushRows'>>;
  private readonly events = new Emitter<RunEvent>();
  private readonly queue = new RunQueue();
  private readonly active = new Map<Id, ActiveRun>();
  private readonly outcomes: RunOutcomes;
  private readonly settledWaiters = new Map<Id, ((run: RunRecord) => void)[]>();
  private limit: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private started = false;
  private readonly adoptQueued: boolean;
  private scheduled = false;
  /** The heartbeat found the disk full; said once until it works again. */
  private heartbeatFailing = false;
  /** The managers of this process that have started and not shut down. */
  private static readonly live = new Set<RunManager>();

  /** Every run event of this host: progress, status, checkpoint, sample (and what the service adds). */
  readonly onEvent = this.events.subscribe;

  constructor(options: RunManagerOptions) {
    this.storage = options.storage;
    this.launcher = options.launcher ?? nodeEngineLauncher();
    this.pytorchLauncher = options.pytorchLauncher ?? null;
    this.cores = Math.max(1, options.cores ?? availableParallelism());
    this.limit = checkLimit(options.concurrency ?? this.cores);
    this.options = {
      heartbeatMs: options.heartbeatMs ?? 3000,
      staleMs: options.staleMs ?? 10_000,
      flushMs: options.flushMs ?? 250,
      flushRows: options.flushRows ?? 200,
    };
    this.outcomes = new RunOutcomes(this.storage);
    this.adoptQueued = options.adoptQueued ?? false;
  }

  /** Marks the runs of dead hosts interrupted, starts the heartbeat, and starts queued work. */
  start(): void {
    if (this.started) return;
    this.started = true;
    RunManager.live.add(this);
    // A host must open even when the disk is too full to mark anything: the next tick tries again.
    this.tryOrLog('Marking the runs of ended processes interrupted', () => this.markInterrupted());
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
    if (this.active.has(runId) || !this.queue.add(runId)) return;
    this.scheduleSoon();
  }

  isQueuedHere(runId: Id): boolean {
    return this.queue.has(runId);
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

  /** A stored run as this host knows it: with the outcome it told but could not write yet (a full disk). */
  asKnownHere(run: RunRecord): RunRecord {
    return this.outcomes.overlay(run);
  }

  /** Resolves once the run has reached done, stopped, failed or interrupted (or a parked pause). */
  whenSettled(runId: Id): Promise<RunRecord> {
    const stored = this.storage.runs.get(runId);
    const run = stored && this.asKnownHere(stored);
    if (run && isSettled(run)) return Promise.resolve(run);
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
    switch (active.state.kind) {
      case 'waiting-to-resume':
        // Pausing a run that waits to resume takes it out of the queue: it stays paused.
        this.move(active, { type: 'pause' });
        this.queue.remove(runId);
        this.emitStatus(this.storage.runs.update(runId, { reason: null }));
        return;
      case 'running':
      case 'resuming':
        active.engine.pause();
        return;
    }
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
      if (active.state.kind === 'running') active.engine.resume(); // a pause on its way: this cancels it
      if (active.state.kind !== 'paused') return;
      const next = this.move(active, { type: 'resume', slotFree: this.runningCount() < this.limit });
      if (next.kind === 'resuming') {
        active.engine.resume();
      } else {
        this.queue.addFirst(runId);
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
    this.queue.remove(runId); // it may be waiting to start or to resume
    if (active) {
      this.requestStop(active, null);
      return;
    }
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
    this.queue.remove(runId);
    const active = this.active.get(runId);
    if (active) {
      this.move(active, { type: 'stop', reason: null });
      await active.engine.waitForExit(0);
    }
  }

  /** Before runs are deleted: see run-deletion.ts. Runs this host trains are left to `forget`. */
  settleForDeletion(runIds: readonly Id[], options: DeletionOptions = {}): Promise<void> {
    return settleForDeletion(this.storage, { owner: this.owner, staleMs: this.options.staleMs }, runIds, options);
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
    this.queue.drain();
    const graceMs = options.graceMs ?? 15_000;
    await Promise.all([...this.active.values()].map(async (active) => {
      // A paused engine wakes for 'stop' too.
      if (this.move(active, { type: 'shutdown', park: options.pauseRunning === true }).kind === 'stopping') active.engine.stop();
      await active.engine.waitForExit(graceMs);
    }));
    // A last try for outcomes the disk had no room for; left unwritten, the next host finds this process gone.
    if (this.storage.isOpen) this.outcomes.retry();
  }

  /**
   * Marks 'interrupted' the live runs whose owner is gone (storage decides, see owner-liveness.ts),
   * counting as gone this very process when none of its managers trains the run or holds an unwritten
   * outcome for it (a previous process with our pid, or a manager that has shut down).
   */
  markInterrupted(now: number = Date.now()): RunRecord[] {
    const marked = this.storage.runs.markInterruptedIfOwnerDead({
      hostId: this.owner.hostId, now, staleMs: this.options.staleMs,
      self: { pid: this.owner.pid, holds: (runId) => [...RunManager.live].some((m) => m.active.has(runId) || m.outcomes.has(runId)) },
    });
    for (const run of marked) {
      this.emitStatus(run);
      this.settle(run);
    }
    return marked;
  }

  // ------------------------------------------------------------------ internals

  /**
   * The one way a run's state changes. Entering an ending state (failing, parking, deleted) ends its
   * engine at once and drops what it had not written: nothing more is stored for it.
   */
  private move(active: ActiveRun, input: RunInput): RunState {
    const before = active.state;
    active.state = nextState(before, input);
    if (isEnding(active.state) && !isEnding(before)) {
      active.recorder.close();
      this.queue.remove(active.runId);
      active.engine.kill();
    }
    return active.state;
  }

  private requestStop(active: ActiveRun, reason: string | null): void {
    if (this.move(active, { type: 'stop', reason }).kind === 'stopping') active.engine.stop();
  }

  /** Each step on its own: a heartbeat the full disk refuses must not keep stop requests from being read. */
  private tick(): void {
    if (this.closed || !this.storage.isOpen) return;
    this.beat();
    this.tryOrLog('Writing a run outcome kept in memory', () => this.outcomes.retry());
    this.tryOrLog('Looking for stop requests and deleted runs', () => this.followOtherProcesses());
    this.tryOrLog('Marking the runs of ended processes interrupted', () => this.markInterrupted());
  }

  private beat(): void {
    try {
      this.storage.runs.heartbeatOwned(this.owner);
      this.heartbeatFailing = false;
    } catch (error) {
      if (this.heartbeatFailing) return;
      this.heartbeatFailing = true;
      console.error(`The run heartbeat could not be written: ${oneLine(error)}`);
    }
  }

  private tryOrLog(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      console.error(`${what} failed: ${oneLine(error)}`);
    }
  }

  /** What other processes did to the runs trained here: asked to stop one, or deleted one. */
  private followOtherProcesses(): void {
    for (const id of this.storage.runs.stopsRequested(this.owner)) {
      const active = this.active.get(id);
      if (!active || active.state.kind === 'stopping' || isEnding(active.state)) continue;
      this.queue.remove(id);
      this.requestStop(active, STOPPED_ON_REQUEST);
    }
    for (const active of [...this.active.values()]) {
      if (!this.storage.runs.exists(active.runId)) this.abandon(active);
    }
  }

  /** A run whose row is gone (deleted by another process): its engine is ended, nothing more is written. */
  private abandon(active: ActiveRun): void {
    if (active.state.kind === 'deleted') return;
    this.move(active, { type: 'deleted' });
    this.events.fire({ type: 'deleted', runId: active.runId });
  }

  /** Engines training or about to (a paused one counts again from the moment its resume is sent). */
  private runningCount(): number {
    let n = 0;
    for (const active of this.active.values()) if (holdsSlot(active.state)) n++;
    return n;
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

  private schedule(): void {
    if (!this.started || this.closed) return;
    while (this.queue.size > 0 && this.runningCount() < this.limit) {
      const runId = this.queue.next()!;
      const waiting = this.active.get(runId);
      if (waiting) {
        // A paused engine whose resume waited for this slot.
        if (this.move(waiting, { type: 'slot-free' }).kind === 'resuming') waiting.engine.resume();
        continue;
      }
      try {
        this.launch(runId);
      } catch (error) {
        const run = this.storage.runs.get(runId);
        if (!run || isSettled(run)) continue;
        if (isDiskFull(error)) {
          this.finish(runId, 'failed', diskFullFailure('the start of the run', this.storage.path));
          this.parkAll(run.name);
        } else {
          this.finish(runId, 'failed', `Could not start: ${oneLine(error)}`);
        }
      }
    }
  }

  /** The run's engine; the PyTorch one runs the python chosen now (the setting may have changed since the host started). */
  private launcherFor(hyper: Hyperparameters): EngineLauncher {
    if (hyper.engine === 'builtin') return this.launcher;
    const { processes, nodes, rdzv, via } = hyper;
    return this.pytorchLauncher ?? pytorchEngineLauncher({ python: pythonChoice(this.storage).python, processes, nodes, rdzv, via });
  }

  /** `wanted` is the run's upper bound (0 = automatic); runs sharing the machine get one thread each. */
  private threadsFor(wanted: number): number {
    return threadShare(wanted, this.cores, this.active.size + this.queue.size + 1 > 1);
  }

  private launch(runId: Id): void {
    const queued = this.storage.runs.get(runId);
    if (!queued || queued.status !== 'queued') return;
    // UTF-8 bytes, not a string: the engine takes them as they are (a big corpus in chunks, see EngineProcess.start).
    const corpusBytes = queued.corpusId === null ? null : this.storage.corpora.bytes(queued.corpusId);
    if (corpusBytes === null) {
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
      corpusBytes,
      ...(vocab ? { vocab } : {}),
      ...(resumeFrom ? { resumeFrom, targetSteps: run.totalSteps } : {}),
      ...(run.sample ? { sample: run.sample } : {}),
      // A run moving to the built-in engine picks its own kernels; one staying keeps its path (exact resume).
      ...(run.reproduction.kernelPath && run.hyper.engine === 'builtin' ? { kernelPath: run.reproduction.kernelPath } : {}),
      ...(run.hyper.engine === 'pytorch' ? { device: run.hyper.device } : {}),
    };
    const engine = new EngineProcess(this.launcherFor(run.hyper));
    const recorder = new RunRecorder(this.storage, runId, {
      flushMs: this.options.flushMs,
      flushRows: this.options.flushRows,
      tell: (event) => this.events.fire(event),
      onWriteFailed: (what, error) => this.writeFailed(active, what, error),
    });
    const active: ActiveRun = { runId, engine, recorder, state: { kind: 'running' } };
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
    const { runId, engine, recorder } = active;
    engine.onReady((ready) => recorder.ready(ready, threads));
    engine.onProgress((message) => recorder.progress(message));
    engine.onCheckpoint((message) => recorder.checkpoint(message));
    engine.onPaused(() => {
      recorder.flush();
      const before = active.state.kind;
      if (this.move(active, { type: 'engine-paused' }).kind !== 'paused' || before === 'paused') return;
      this.writeStatus(active, 'paused');
      this.schedule();
    });
    engine.onResumed(() => {
      const before = active.state.kind;
      if (this.move(active, { type: 'engine-resumed' }).kind !== 'running' || before === 'running') return;
      this.queue.remove(runId); // a resume this host still held back had been sent before it paused
      this.writeStatus(active, 'running');
    });
    engine.onExit((exit) => this.tryOrLog(`Ending run #${runId}`, () => this.handleExit(active, exit)));
  }

  /** A status the engine's own word implies (paused, running again); a refused write fails the run. */
  private writeStatus(active: ActiveRun, status: RunStatus): void {
    if (!this.storage.isOpen || isEnding(active.state)) return;
    try {
      this.emitStatus(this.storage.runs.setStatus(active.runId, status));
    } catch (error) {
      this.writeFailed(active, "the run's status", error);
    }
  }

  private handleExit(active: ActiveRun, exit: EngineExit): void {
    const { runId } = active;
    active.recorder.flush();
    this.active.delete(runId);
    this.queue.remove(runId); // an engine that dies while waiting to resume
    if (!this.storage.isOpen) return;
    if (this.storage.runs.exists(runId)) {
      const outcome = exitOutcome(active.state, exit, this.storage.checkpoints.latest(runId)?.step ?? null);
      if (outcome.kind === 'finish') this.finish(runId, outcome.status, outcome.reason);
      else if (outcome.kind === 'park') this.park(runId, outcome.reason);
    }
    this.schedule();
  }

  private finish(runId: Id, status: RunStatus, reason: string | null): void {
    this.told(this.outcomes.record(runId, { status, reason, release: false }));
  }

  /** Paused with no owner: resumable here or by any other host. */
  private park(runId: Id, reason: string): void {
    this.told(this.outcomes.record(runId, { status: 'paused', reason, release: true }));
  }

  private told(run: RunRecord | null): void {
    if (!run) return;
    this.emitStatus(run);
    this.settle(run);
  }

  /**
   * A write of a run failed: the run stops here (its engine is ended) rather than training on with
   * nothing stored. Its row gone means another process deleted it: ended quietly. A full disk also
   * parks this host's other runs, whose next writes would fail the same way.
   */
  private writeFailed(active: ActiveRun, what: string, error: unknown): void {
    if (isEnding(active.state)) return;
    if (!this.storage.runs.exists(active.runId)) {
      this.abandon(active);
      return;
    }
    const diskFull = isDiskFull(error);
    this.move(active, { type: 'write-failed', reason: diskFull ? diskFullFailure(what, this.storage.path) : writeFailure(what, error) });
    if (diskFull) this.parkAll(this.storage.runs.get(active.runId)?.name ?? `#${active.runId}`);
  }

  /**
   * A full disk: every other run of this host is parked (engine ended, paused, unowned) with a reason
   * saying so, queued ones included, rather than each failing at its next write. The engines are
   * ended at once: a final checkpoint would not fit.
   */
  private parkAll(failedRunName: string): void {
    const reason = diskFullPause(failedRunName, this.storage.path);
    for (const runId of this.queue.drain()) {
      if (!this.active.has(runId)) this.park(runId, reason);
    }
    for (const other of this.active.values()) this.move(other, { type: 'disk-full', reason });
  }

  private emitStatus(run: RunRecord): void {
    this.events.fire({ type: 'status', runId: run.id, status: run.status, reason: run.reason });
  }

  private settle(run: RunRecord): void {
    if (!isSettled(run)) return;
    const waiters = this.settledWaiters.get(run.id);
    if (!waiters) return;
    this.settledWaiters.delete(run.id);
    for (const resolve of waiters) resolve(run);
  }
}

/** Nothing more happens to it here: a final status, or a pause nobody holds (parked). */
function isSettled(run: RunRecord): boolean {
  return FINAL_STATUSES.includes(run.status) || (run.status === 'paused' && run.ownerPid === null);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 256) {
    throw new ApiError(`The concurrency limit must be a whole number from 1 to 256 (got ${limit}).`);
  }
  return limit;
}
