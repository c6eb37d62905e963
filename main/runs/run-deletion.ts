/**
 * Before runs are deleted: a run another live workbench process trains is refused with a sentence
 * naming that process — unless `force`: then that process is asked to stop it (storage's
 * stop_requested_at, read on its heartbeat tick) and this waits until the run has settled there.
 * Every run is checked before anything is asked. Runs this process trains are the run manager's.
 */
import { ApiError, type Id } from '../api/contract.ts';
import { whyOwnerIsGone, type RunOwner, type RunRecord, type Storage } from '../storage/index.ts';

export interface DeletionOptions {
  /** Ask the process that trains a run to stop it, instead of refusing. */
  force?: boolean;
  /** The corpus being deleted, for the refusal's sentence. */
  corpusName?: string;
  /** How long a forced stop may take before the deletion is given up (ms, default 30000). */
  timeoutMs?: number;
}

/** How often a process that asked another to stop a run looks whether it has. */
const SETTLE_POLL_MS = 200;

/** Who asks: this process as a run owner, and how old a heartbeat from another machine may be. */
export interface Asker {
  owner: RunOwner;
  staleMs: number;
}

export async function settleForDeletion(storage: Storage, asker: Asker, runIds: readonly Id[], options: DeletionOptions = {}): Promise<void> {
  const elsewhere = runIds.map((id) => storage.runs.get(id)).filter((run): run is RunRecord => run !== null && trainedElsewhere(run, asker));
  if (elsewhere.length === 0) return;
  if (!options.force) throw new ApiError(trainedElsewhereSentence(elsewhere[0], options.corpusName), 'trained-elsewhere');
  for (const run of elsewhere) storage.runs.requestStop(run.id);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (const run of elsewhere) {
    for (;;) {
      const now = storage.runs.get(run.id);
      if (now === null || !trainedElsewhere(now, asker)) break;
      if (Date.now() > deadline) {
        throw new ApiError(
          `Run "${run.name}" was asked to stop but still trains in another workbench process (pid ${run.ownerPid}, host ${run.ownerHostId}) ` +
            `after ${Math.round(timeoutMs / 1000)} s; nothing was deleted. Stop it there, then delete it.`,
          'conflict',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}

/** Held by another workbench process that is still there (a dead owner's run is not in the way). */
function trainedElsewhere(run: RunRecord, { owner, staleMs }: Asker): boolean {
  if (run.status !== 'running' && run.status !== 'paused') return false;
  if (run.ownerPid === null) return false;
  if (run.ownerPid === owner.pid && run.ownerHostId === owner.hostId) return false;
  return whyOwnerIsGone(run, { hostId: owner.hostId, now: Date.now(), staleMs }) === null;
}

/**
 * The refusal of a deletion: which process trains the run, and the two ways on — in words for every
 * transport (the CLI names its --force flag, the UI its "Stop it and delete" button).
 */
function trainedElsewhereSentence(run: RunRecord, corpusName: string | undefined): string {
  const where = `another workbench process (pid ${run.ownerPid}, host ${run.ownerHostId})`;
  const how = 'stop it there, or delete it with force to stop it first.';
  return corpusName === undefined
    ? `Run "${run.name}" is training in ${where}; ${how}`
    : `Corpus "${corpusName}" is used by run "${run.name}", which is training in ${where}; ${how}`;
}
