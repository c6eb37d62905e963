/**
 * Where a run with an engine process stands, as the host that trains it sees it: one value, changed
 * only by `nextState`, and the outcome its exit becomes (`exitOutcome`). Both are pure, so the whole
 * table is tested without processes (tests/main/run-state.test.ts). The run manager does what each
 * change implies (send the engine a message, write a status, move the queue).
 *
 * - running: training, or started and not yet paused (holds a slot);
 * - paused: the engine said it paused (holds no slot: pausing lets a queued run start);
 * - waiting-to-resume: paused, asked to resume, in the queue for a free slot;
 * - resuming: 'resume' was sent, the engine has not said 'resumed' yet (holds a slot already);
 * - stopping: 'stop' was sent (by a person, another process, or shutdown; `park`: leave it paused,
 *   unowned, to resume later); the engine writes a final checkpoint and ends;
 * - failing: a write of the run failed; the engine was ended; it ends 'failed' with `reason`;
 * - parking: another run's write found the disk full; the engine was ended; it ends paused, unowned;
 * - deleted: another process deleted its row; the engine was ended; nothing more is written.
 * The last three are "ending": nothing the engine says is written any more, and they do not change
 * (except that a deletion overrides them all).
 */
import type { RunStatus } from '../api/contract.ts';
import type { EngineExit } from './engine-process.ts';

export type RunState =
  | { kind: 'running' }
  | { kind: 'paused' }
  | { kind: 'waiting-to-resume' }
  | { kind: 'resuming' }
  | { kind: 'stopping'; park: boolean; reason: string | null }
  | { kind: 'failing'; reason: string }
  | { kind: 'parking'; reason: string }
  | { kind: 'deleted' };

export type RunStateKind = RunState['kind'];

/** What can happen to a run: a request of this host, a fact about storage, or what its engine said. */
export type RunInput =
  /** A person (or the service) asks it to pause. */
  | { type: 'pause' }
  /** A person asks it to resume; `slotFree`: the concurrency limit lets one more engine train now. */
  | { type: 'resume'; slotFree: boolean }
  /** A slot came free for a run waiting to resume. */
  | { type: 'slot-free' }
  /** Stop it (`reason`: why, when another process asked; null when this host's own user did). */
  | { type: 'stop'; reason: string | null }
  /** The host shuts down; `park`: leave it paused (resumable) rather than stopped. */
  | { type: 'shutdown'; park: boolean }
  /** A write of this run failed (`reason` says which and why). */
  | { type: 'write-failed'; reason: string }
  /** Another run's write found the disk full. */
  | { type: 'disk-full'; reason: string }
  /** Its row is gone: another process deleted it. */
  | { type: 'deleted' }
  | { type: 'engine-paused' }
  | { type: 'engine-resumed' };

const ENDING: readonly RunStateKind[] = ['failing', 'parking', 'deleted'];

/** On its way out: nothing the engine says is written for it any more. */
export function isEnding(state: RunState): boolean {
  return ENDING.includes(state.kind);
}

/** Counts toward the concurrency limit: an engine that trains, is about to, or is finishing. */
export function holdsSlot(state: RunState): boolean {
  return state.kind === 'running' || state.kind === 'resuming' || state.kind === 'stopping';
}

/** The one place where a run's state changes. An input that means nothing in a state leaves it as it is. */
export function nextState(state: RunState, input: RunInput): RunState {
  if (input.type === 'deleted') return { kind: 'deleted' };
  if (isEnding(state)) return state;
  switch (input.type) {
    case 'write-failed':
      return { kind: 'failing', reason: input.reason };
    case 'disk-full':
      return { kind: 'parking', reason: input.reason };
    case 'shutdown':
      return { kind: 'stopping', park: input.park, reason: state.kind === 'stopping' ? state.reason : null };
    case 'stop':
      return state.kind === 'stopping' ? state : { kind: 'stopping', park: false, reason: input.reason };
    case 'pause':
      return state.kind === 'waiting-to-resume' ? { kind: 'paused' } : state;
    case 'resume':
      if (state.kind !== 'paused') return state;
      return input.slotFree ? { kind: 'resuming' } : { kind: 'waiting-to-resume' };
    case 'slot-free':
      return state.kind === 'waiting-to-resume' ? { kind: 'resuming' } : state;
    case 'engine-paused':
      return state.kind === 'running' || state.kind === 'resuming' ? { kind: 'paused' } : state;
    case 'engine-resumed':
      // From waiting-to-resume too: a resume sent before the engine had paused wakes it by itself.
      return state.kind === 'paused' || state.kind === 'resuming' || state.kind === 'waiting-to-resume' ? { kind: 'running' } : state;
  }
}

/** What a run becomes when its engine has ended. */
export type ExitOutcome =
  /** Its row is gone: nothing to write. */
  | { kind: 'forget' }
  | { kind: 'finish'; status: RunStatus; reason: string | null }
  /** Paused with no owner: resumable here or by any other host. */
  | { kind: 'park'; reason: string };

export const PARKED_REASON = 'Paused when the workbench closed; resume it to go on from its last checkpoint.';

/**
 * How an ended engine's run ends, from its state and the exit. `latestCheckpointStep`: the step of its
 * newest stored checkpoint (null: none), which a park resumes from.
 */
export function exitOutcome(state: RunState, exit: EngineExit, latestCheckpointStep: number | null): ExitOutcome {
  switch (state.kind) {
    case 'deleted':
      return { kind: 'forget' };
    case 'failing':
      return { kind: 'finish', status: 'failed', reason: state.reason };
    case 'parking':
      // It may have finished before the kill arrived: then it is done.
      if (exit.reason !== 'done') return { kind: 'park', reason: state.reason };
      break;
    case 'stopping':
      // Parked at quit: stopped with a final checkpoint, or (killed after the grace period) with an older one.
      if (state.park && exit.reason === 'stopped') return { kind: 'park', reason: PARKED_REASON };
      if (state.park && exit.reason === 'killed' && latestCheckpointStep !== null) {
        return { kind: 'park', reason: `${PARKED_REASON} (It did not stop in time; it resumes from step ${latestCheckpointStep}.)` };
      }
      break;
  }
  const stopping = state.kind === 'stopping' ? state : null;
  switch (exit.reason) {
    case 'done':
      // Early stopping is data of the exit (the done message's status), not a sentence to match.
      return { kind: 'finish', status: 'done', reason: exit.endedBy === 'early-stop' ? exit.message : null };
    case 'stopped':
      return { kind: 'finish', status: 'stopped', reason: stopping ? stopping.reason : exit.message };
    case 'killed':
      return stopping
        ? { kind: 'finish', status: 'stopped', reason: stopping.reason ?? exit.message }
        : { kind: 'finish', status: 'failed', reason: exit.message };
    case 'error':
    case 'crashed':
      return { kind: 'finish', status: 'failed', reason: exit.message };
  }
}
