/**
 * Runs: one training job each, with its hyperparameters, reproduction record, status and owner.
 *
 * Liveness: a host process (Electron main, `serve`, the CLI) claims a run it trains and stamps a
 * heartbeat every few seconds. Any process sharing the database may later find a run still marked
 * running/paused whose owner is gone — the owner's pid is dead or reused (same machine), or its
 * heartbeat is older than 10 s (another machine) — and mark it 'interrupted' (owner-liveness.ts). Nothing is swept blindly at start-up: a run trained by
 * another live process on the same database is left alone.
 */
import { hostname } from 'node:os';
import type { Database, Statement } from 'better-sqlite3';
import { DEFAULT_HYPERPARAMETERS, parameterCount, type Hyperparameters } from '../../engine/config.ts';
import { StorageError, notFound } from './errors.ts';
import { ImpactCounter } from './impact.ts';
import { whyOwnerIsGone, type LivenessProbe } from './owner-liveness.ts';
import { isoNow } from './time.ts';
import {
  FINAL_STATUSES, RUN_STATUSES,
  type DeleteImpact, type Id, type NewRun, type RunOwner, type RunPatch, type RunRecord, type RunStatus,
} from './types.ts';

/** A heartbeat older than this means the owning host is gone (it beats every few seconds). */
export const HEARTBEAT_STALE_MS = 10_000;

/** This process as a run owner. The host id tells "same machine" (pid check is meaningful) from another. */
export function currentOwner(): RunOwner {
  return { pid: process.pid, hostId: hostname() };
}

interface RunRow {
  id: Id;
  name: string;
  corpus_id: Id | null;
  corpus_name: string | null;
  vocabulary_id: Id;
  vocab_size: number;
  hyper: string;
  status: RunStatus;
  reason: string | null;
  parent_run_id: Id | null;
  sweep_id: Id | null;
  reproduction: string;
  sample_settings: string | null;
  step: number;
  total_steps: number;
  owner_pid: number | null;
  owner_host_id: string | null;
  heartbeat_at: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  last_train_loss: number | null;
  chars_per_sec: number | null;
  last_val_loss: number | null;
  best_val_loss: number | null;
}

// The summary columns come from the metrics indexes: the last row by (run_id, step), and the
// validation rows through the partial indexes, so a list never scans a run's training rows.
const SELECT_RUNS = `
  SELECT r.*, c.name AS corpus_name, v.size AS vocab_size,
    lm.train_loss AS last_train_loss, lm.chars_per_sec AS chars_per_sec,
    (SELECT m.val_loss FROM metrics m WHERE m.run_id = r.id AND m.val_loss IS NOT NULL
       ORDER BY m.step DESC LIMIT 1) AS last_val_loss,
    (SELECT min(m.val_loss) FROM metrics m WHERE m.run_id = r.id AND m.val_loss IS NOT NULL) AS best_val_loss
  FROM runs r
  JOIN vocabularies v ON v.id = r.vocabulary_id
  LEFT JOIN corpora c ON c.id = r.corpus_id
  LEFT JOIN metrics lm ON lm.id = (SELECT m.id FROM metrics m WHERE m.run_id = r.id ORDER BY m.step DESC, m.id DESC LIMIT 1)`;

export class RunsRepository {
  private readonly impact: ImpactCounter;
  private readonly insertRow: Statement;
  private readonly byId: Statement<[Id], RunRow>;
  private readonly byName: Statement<[string], RunRow>;
  private readonly filtered: Statement<[{ ids: string | null; sweepId: Id | null; statuses: string | null }], RunRow>;
  private readonly nameTaken: Statement<[string], { id: Id }>;
  private readonly patchRow: Statement;
  private readonly setStepRow: Statement<[number, Id]>;
  private readonly renameRow: Statement<[string, Id]>;
  private readonly deleteRow: Statement<[Id]>;
  private readonly claimRow: Statement;
  private readonly releaseRow: Statement<[Id]>;
  private readonly beatOne: Statement<[string, Id]>;
  private readonly beatOwned: Statement<[string, number, string]>;
  private readonly live: Statement<[], RunRow>;
  private readonly interruptRow: Statement;
  private readonly existsRow: Statement<[Id], { one: number }>;
  private readonly requestStopRow: Statement<[string, Id]>;
  private readonly stopRequestedRows: Statement<[number, string], { id: Id }>;

  constructor(private readonly db: Database) {
    this.impact = new ImpactCounter(db);
    this.insertRow = db.prepare(`INSERT INTO runs (name, corpus_id, vocabulary_id, hyper, status, parent_run_id, sweep_id,
        reproduction, sample_settings, total_steps, created_at)
      VALUES (@name, @corpusId, @vocabularyId, @hyper, @status, @parentRunId, @sweepId, @reproduction, @sample, @totalSteps, @createdAt)`);
    this.byId = db.prepare(`${SELECT_RUNS} WHERE r.id = ?`);
    this.byName = db.prepare(`${SELECT_RUNS} WHERE r.name = ?`);
    this.filtered = db.prepare(`${SELECT_RUNS}
      WHERE (@ids IS NULL OR r.id IN (SELECT value FROM json_each(@ids)))
        AND (@sweepId IS NULL OR r.sweep_id = @sweepId)
        AND (@statuses IS NULL OR r.status IN (SELECT value FROM json_each(@statuses)))
      ORDER BY r.created_at DESC, r.id DESC`);
    this.nameTaken = db.prepare('SELECT id FROM runs WHERE name = ?');
    // One statement for any patch: each column changes only when its flag is set.
    this.patchRow = db.prepare(`UPDATE runs SET
        status = CASE WHEN @setStatus THEN @status ELSE status END,
        reason = CASE WHEN @setReason THEN @reason ELSE reason END,
        step = CASE WHEN @setStep THEN @step ELSE step END,
        total_steps = CASE WHEN @setTotalSteps THEN @totalSteps ELSE total_steps END,
        started_at = CASE WHEN @setStartedAt THEN @startedAt ELSE started_at END,
        ended_at = CASE WHEN @setEndedAt THEN @endedAt ELSE ended_at END,
        reproduction = CASE WHEN @setReproduction THEN @reproduction ELSE reproduction END,
        sample_settings = CASE WHEN @setSample THEN @sample ELSE sample_settings END,
        owner_pid = CASE WHEN @release THEN NULL ELSE owner_pid END,
        owner_host_id = CASE WHEN @release THEN NULL ELSE owner_host_id END,
        heartbeat_at = CASE WHEN @release THEN NULL ELSE heartbeat_at END,
        stop_requested_at = CASE WHEN @release THEN NULL ELSE stop_requested_at END
      WHERE id = @id`);
    this.setStepRow = db.prepare('UPDATE runs SET step = ? WHERE id = ?');
    this.renameRow = db.prepare('UPDATE runs SET name = ? WHERE id = ?');
    this.deleteRow = db.prepare('DELETE FROM runs WHERE id = ?');
    this.claimRow = db.prepare(`UPDATE runs SET owner_pid = @pid, owner_host_id = @hostId, heartbeat_at = @now,
        status = 'running', reason = NULL, ended_at = NULL, started_at = coalesce(started_at, @now), stop_requested_at = NULL
      WHERE id = @id AND (owner_pid IS NULL OR (owner_pid = @pid AND owner_host_id = @hostId))`);
    this.releaseRow = db.prepare(`UPDATE runs SET owner_pid = NULL, owner_host_id = NULL, heartbeat_at = NULL, stop_requested_at = NULL
      WHERE id = ?`);
    this.beatOne = db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?');
    this.beatOwned = db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE owner_pid = ? AND owner_host_id = ?
      AND status IN ('running', 'paused')`);
    // A paused run without an owner was parked on purpose (its process let go of it): not interrupted.
    this.live = db.prepare(`${SELECT_RUNS} WHERE r.status = 'running' OR (r.status = 'paused' AND r.owner_pid IS NOT NULL)
      ORDER BY r.id`);
    this.interruptRow = db.prepare(`UPDATE runs SET status = 'interrupted', reason = @reason, ended_at = @now,
        owner_pid = NULL, owner_host_id = NULL, heartbeat_at = NULL, stop_requested_at = NULL
      WHERE id = @id AND status IN ('running', 'paused') AND owner_pid IS @pid AND heartbeat_at IS @heartbeatAt`);
    this.existsRow = db.prepare('SELECT 1 AS one FROM runs WHERE id = ?');
    // Only a run some process holds can be asked to stop; the request goes when the owner lets go of it.
    this.requestStopRow = db.prepare(`UPDATE runs SET stop_requested_at = ?
      WHERE id = ? AND status IN ('running', 'paused') AND owner_pid IS NOT NULL`);
    this.stopRequestedRows = db.prepare(`SELECT id FROM runs WHERE owner_pid = ? AND owner_host_id = ?
      AND stop_requested_at IS NOT NULL AND status IN ('running', 'paused') ORDER BY id`);
  }

  create(input: NewRun): RunRecord {
    const name = checkRunName(input.name);
    const status = input.status ?? 'queued';
    checkStatus(status);
    return this.db.transaction(() => {
      this.refuseTakenName(name);
      const info = this.insertRow.run({
        name,
        corpusId: input.corpusId,
        vocabularyId: input.vocabularyId,
        hyper: JSON.stringify(input.hyper),
        status,
        parentRunId: input.parentRunId ?? null,
        sweepId: input.sweepId ?? null,
        reproduction: JSON.stringify(input.reproduction),
        sample: input.sample ? JSON.stringify(input.sample) : null,
        totalSteps: input.totalSteps ?? 0,
        createdAt: isoNow(),
      });
      return this.require(Number(info.lastInsertRowid));
    }).immediate();
  }

  get(id: Id): RunRecord | null {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  /** A cheap look at whether the row is still there (a run another process may have deleted). */
  exists(id: Id): boolean {
    return this.existsRow.get(id) !== undefined;
  }

  /** The run, or a not-found error naming the id. */
  require(id: Id): RunRecord {
    const run = this.get(id);
    if (!run) throw notFound(`Run #${id}`);
    return run;
  }

  getByName(name: string): RunRecord | null {
    const row = this.byName.get(name);
    return row ? toRecord(row) : null;
  }

  /** Newest first, each with its last and best metrics; optionally only some ids, one sweep, some statuses. */
  list(filter: { ids?: readonly Id[]; sweepId?: Id; statuses?: readonly RunStatus[] } = {}): RunRecord[] {
    return this.filtered.all({
      ids: filter.ids ? JSON.stringify(filter.ids) : null,
      sweepId: filter.sweepId ?? null,
      statuses: filter.statuses ? JSON.stringify(filter.statuses) : null,
    }).map(toRecord);
  }

  /** `base`, or `base-2`, `base-3`… whichever is free. */
  uniqueName(base: string): string {
    const trimmed = base.trim() || 'run';
    if (!this.nameTaken.get(trimmed)) return trimmed;
    for (let n = 2; ; n++) {
      const candidate = `${trimmed}-${n}`;
      if (!this.nameTaken.get(candidate)) return candidate;
    }
  }

  rename(id: Id, name: string): RunRecord {
    const checked = checkRunName(name);
    return this.db.transaction(() => {
      const run = this.require(id);
      if (run.name !== checked) {
        this.refuseTakenName(checked);
        this.renameRow.run(checked, id);
      }
      return this.require(id);
    }).immediate();
  }

  /** Changes only the given fields. Prefer setStatus for status changes (it stamps times and releases the owner). */
  update(id: Id, patch: RunPatch): RunRecord {
    if (patch.status !== undefined) checkStatus(patch.status);
    const info = this.patchRow.run({
      id,
      setStatus: flag(patch.status), status: patch.status ?? null,
      setReason: flag(patch.reason), reason: patch.reason ?? null,
      setStep: flag(patch.step), step: patch.step ?? null,
      setTotalSteps: flag(patch.totalSteps), totalSteps: patch.totalSteps ?? null,
      setStartedAt: flag(patch.startedAt), startedAt: patch.startedAt ?? null,
      setEndedAt: flag(patch.endedAt), endedAt: patch.endedAt ?? null,
      setReproduction: flag(patch.reproduction), reproduction: patch.reproduction ? JSON.stringify(patch.reproduction) : null,
      setSample: flag(patch.sample), sample: patch.sample ? JSON.stringify(patch.sample) : null,
      release: 0,
    });
    if (info.changes === 0) throw notFound(`Run #${id}`);
    return this.require(id);
  }

  /**
   * Moves a run to a status with its reason (null clears it). Entering 'running' stamps started_at
   * once; a final status (done/stopped/failed/interrupted) stamps ended_at and releases the owner.
   */
  setStatus(id: Id, status: RunStatus, reason: string | null = null, now: number = Date.now()): RunRecord {
    checkStatus(status);
    return this.db.transaction(() => {
      const run = this.require(id);
      const final = FINAL_STATUSES.includes(status);
      this.patchRow.run({
        id,
        setStatus: 1, status,
        setReason: 1, reason,
        setStep: 0, step: null,
        setTotalSteps: 0, totalSteps: null,
        setStartedAt: status === 'running' && run.startedAt === null ? 1 : 0, startedAt: isoNow(now),
        setEndedAt: 1, endedAt: final ? isoNow(now) : null,
        setReproduction: 0, reproduction: null,
        setSample: 0, sample: null,
        release: final ? 1 : 0,
      });
      return this.require(id);
    }).immediate();
  }

  /** The hot path of progress events: only the step. */
  setStep(id: Id, step: number): void {
    this.setStepRow.run(step, id);
  }

  deleteImpact(id: Id): DeleteImpact {
    this.require(id);
    return this.impact.of([id]);
  }

  /** Deletes the run with its metrics, checkpoints and samples; runs continued from it keep existing (parent cleared). */
  delete(id: Id): DeleteImpact {
    return this.db.transaction(() => {
      const impact = this.deleteImpact(id);
      this.deleteRow.run(id);
      return impact;
    }).immediate();
  }

  /**
   * Takes ownership of a run for this host and marks it running. Returns null when another owner
   * holds it (two processes sharing the database must not train the same run).
   */
  claimRun(id: Id, owner: RunOwner = currentOwner(), now: number = Date.now()): RunRecord | null {
    return this.db.transaction(() => {
      this.require(id);
      const info = this.claimRow.run({ id, pid: owner.pid, hostId: owner.hostId, now: isoNow(now) });
      return info.changes === 0 ? null : this.require(id);
    }).immediate();
  }

  /** Gives up ownership without changing the status (setStatus to a final status does this too). */
  release(id: Id): void {
    this.releaseRow.run(id);
  }

  /** Leaves a run 'paused' with no owner, in one write: any host can resume it from its latest checkpoint. */
  park(id: Id, reason: string, now: number = Date.now()): RunRecord {
    return this.db.transaction(() => {
      this.setStatus(id, 'paused', reason, now);
      this.releaseRow.run(id);
      return this.require(id);
    }).immediate();
  }

  /**
   * Asks the process that holds a running (or owned paused) run to stop it; it reads the request on
   * its heartbeat tick (see stopsRequested). False when no process holds the run.
   */
  requestStop(id: Id, now: number = Date.now()): boolean {
    return this.requestStopRow.run(isoNow(now), id).changes > 0;
  }

  /** The runs this owner holds that another process has asked to stop. */
  stopsRequested(owner: RunOwner = currentOwner()): Id[] {
    return this.stopRequestedRows.all(owner.pid, owner.hostId).map((row) => row.id);
  }

  heartbeat(id: Id, now: number = Date.now()): void {
    this.beatOne.run(isoNow(now), id);
  }

  /** One heartbeat for every live run this owner holds; returns how many. */
  heartbeatOwned(owner: RunOwner = currentOwner(), now: number = Date.now()): number {
    return this.beatOwned.run(isoNow(now), owner.pid, owner.hostId).changes;
  }

  /**
   * Marks 'interrupted' every running (or owned paused) run whose owner is gone (owner-liveness.ts
   * decides): on this machine when its pid is dead (or reused), on another machine when its heartbeat
   * is older than 10 s (or missing). A live owner on this machine keeps its runs however long it is
   * silent. Each update is conditional on the row being as it was read, so an owner that beats in
   * between keeps its run. Returns the runs marked.
   */
  markInterruptedIfOwnerDead(probe: Partial<LivenessProbe> = {}): RunRecord[] {
    const now = probe.now ?? Date.now();
    const full: LivenessProbe = { ...probe, hostId: probe.hostId ?? hostname(), now, staleMs: probe.staleMs ?? HEARTBEAT_STALE_MS };
    return this.db.transaction(() => {
      const marked: RunRecord[] = [];
      for (const run of this.live.all().map(toRecord)) {
        const reason = whyOwnerIsGone(run, full);
        if (reason === null) continue;
        const info = this.interruptRow.run({
          id: run.id, reason, now: isoNow(now), pid: run.ownerPid, heartbeatAt: run.heartbeatAt,
        });
        if (info.changes > 0) marked.push(this.require(run.id));
      }
      return marked;
    }).immediate();
  }

  private refuseTakenName(name: string): void {
    if (this.nameTaken.get(name)) throw new StorageError(`A run named "${name}" already exists. Choose another name.`, 'conflict');
  }
}

/** Names are used in references (RUN@STEP, #ID, a bare id), so those forms cannot be names. */
function checkRunName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new StorageError('A run needs a name.');
  if (trimmed.includes('@')) throw new StorageError(`A run name cannot contain "@" (it separates run and checkpoint in references): "${trimmed}".`);
  if (trimmed.startsWith('#')) throw new StorageError(`A run name cannot start with "#" (that means an id in references): "${trimmed}".`);
  if (/^\d+$/.test(trimmed)) throw new StorageError(`A run name cannot be only digits (that means an id in references): "${trimmed}".`);
  if (trimmed.length > 200) throw new StorageError(`A run name can have at most 200 characters (got ${trimmed.length}).`);
  return trimmed;
}

function checkStatus(status: RunStatus): void {
  if (!RUN_STATUSES.includes(status)) throw new StorageError(`Unknown run status "${status}".`);
}

const flag = (value: unknown): number => (value === undefined ? 0 : 1);

function toRecord(row: RunRow): RunRecord {
  // A run stored before engines were a choice trained on the built-in engine (other missing fields stay
  // missing: compare shows "—" for them).
  const hyper = { engine: DEFAULT_HYPERPARAMETERS.engine, device: DEFAULT_HYPERPARAMETERS.device, ...(JSON.parse(row.hyper) as Partial<Hyperparameters>) } as Hyperparameters;
  return {
    id: row.id,
    name: row.name,
    corpusId: row.corpus_id,
    corpusName: row.corpus_name,
    status: row.status,
    reason: row.reason,
    parentRunId: row.parent_run_id,
    sweepId: row.sweep_id,
    hyper,
    vocabSize: row.vocab_size,
    parameterCount: parameterCount(hyper, row.vocab_size),
    step: row.step,
    totalSteps: row.total_steps,
    lastTrainLoss: row.last_train_loss,
    lastValLoss: row.last_val_loss,
    bestValLoss: row.best_val_loss,
    charsPerSec: row.chars_per_sec,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    vocabularyId: row.vocabulary_id,
    reproduction: JSON.parse(row.reproduction),
    sample: row.sample_settings === null ? null : JSON.parse(row.sample_settings),
    ownerPid: row.owner_pid,
    ownerHostId: row.owner_host_id,
    heartbeatAt: row.heartbeat_at,
  };
}

