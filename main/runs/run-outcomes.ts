/**
 * Writes how runs end (a final status, or a park: paused with no owner). When the disk has no room
 * even for that, the outcome is kept here — the host tells it at once, shows it in its run reads
 * (`overlay`), and writes it on a later tick (`retry`). If the process ends first, the next host finds
 * the run's owner gone and marks it interrupted.
 */
import type { Id, RunStatus } from '../api/contract.ts';
import { FINAL_STATUSES, type RunRecord, type Storage } from '../storage/index.ts';
import { isDiskFull, oneLine } from './write-failures.ts';

export interface RunOutcome {
  status: RunStatus;
  reason: string | null;
  /** Let go of the run (a park); a final status lets go by itself. */
  release: boolean;
}

export class RunOutcomes {
  private readonly unsaved = new Map<Id, RunOutcome>();

  constructor(private readonly storage: Storage) {}

  /**
   * Writes a run's outcome and returns the run as it now is; when the write is refused, the outcome is
   * kept and the stored run is returned with it applied. Null when the run is gone.
   */
  record(runId: Id, outcome: RunOutcome): RunRecord | null {
    try {
      return this.write(runId, outcome);
    } catch (error) {
      const stored = this.storage.runs.get(runId);
      if (!stored) return null;
      if (!isDiskFull(error)) console.error(`Run #${runId}: its ${outcome.status} status could not be written: ${oneLine(error)}`);
      this.unsaved.set(runId, outcome);
      return this.overlay(stored);
    }
  }

  /** An outcome for this run waits to be written. */
  has(runId: Id): boolean {
    return this.unsaved.has(runId);
  }

  /** The run as this host knows it: with the outcome it could not write yet, if any. */
  overlay(run: RunRecord): RunRecord {
    const outcome = this.unsaved.get(run.id);
    if (!outcome) return run;
    return { ...run, status: outcome.status, reason: outcome.reason, ...(outcome.release ? { ownerPid: null, ownerHostId: null } : {}) };
  }

  /** Writes the kept outcomes there is room for now (quietly keeps the others for the next try). */
  retry(): void {
    for (const [runId, outcome] of [...this.unsaved]) {
      try {
        if (this.storage.runs.exists(runId)) this.write(runId, outcome);
        this.unsaved.delete(runId);
      } catch {
        // still no room: the next tick tries again
      }
    }
  }

  private write(runId: Id, outcome: RunOutcome): RunRecord {
    return outcome.release && !FINAL_STATUSES.includes(outcome.status)
      ? this.storage.runs.park(runId, outcome.reason ?? '')
      : this.storage.runs.setStatus(runId, outcome.status, outcome.reason);
  }
}
