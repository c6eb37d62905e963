/**
 * Run and checkpoint references as people type them (CLI arguments, the compare picker):
 *   42          the run with id 42            hello-lstm64        the run with that name
 *   RUN@120     RUN's checkpoint at step 120  RUN@best / RUN@final / RUN@latest
 *   #17         the checkpoint with id 17     RUN (as a checkpoint) its best checkpoint
 * "Best" is the lowest validation loss; a run without validation has none, so its latest counts.
 */
import type { CheckpointSummary, RunRecord, Storage } from '../storage/index.ts';
import { ApiError } from './contract.ts';

export function runById(storage: Storage, id: number): RunRecord {
  const run = Number.isInteger(id) ? storage.runs.get(id) : null;
  if (!run) throw new ApiError(`No run with id ${id}.`, 'not-found');
  return run;
}

export function checkpointById(storage: Storage, id: number): CheckpointSummary {
  const checkpoint = Number.isInteger(id) ? storage.checkpoints.get(id) : null;
  if (!checkpoint) throw new ApiError(`No checkpoint with id ${id}.`, 'not-found');
  return checkpoint;
}

/** A bare run reference: an id or a name. */
function runByRef(storage: Storage, ref: string): RunRecord {
  const text = ref.trim();
  if (text === '') throw new ApiError('The run reference is empty: give a run id or name.');
  const byName = storage.runs.getByName(text);
  if (byName) return byName;
  if (/^\d+$/.test(text)) {
    const byId = storage.runs.get(Number(text));
    if (byId) return byId;
    throw new ApiError(`No run with id ${text}.`, 'not-found');
  }
  throw new ApiError(`No run named "${text}".`, 'not-found');
}

export function resolveRunRef(storage: Storage, ref: string): RunRecord {
  const text = String(ref).trim();
  if (text.startsWith('#') || text.includes('@')) {
    const checkpoint = resolveCheckpointRef(storage, text);
    return runById(storage, checkpoint.runId);
  }
  return runByRef(storage, text);
}

export function resolveCheckpointRef(storage: Storage, ref: string): CheckpointSummary {
  const text = String(ref).trim();
  if (text.startsWith('#')) {
    const id = text.slice(1);
    if (!/^\d+$/.test(id)) throw new ApiError(`"${text}" is not a checkpoint id: after "#" come digits, e.g. #12.`);
    return checkpointById(storage, Number(id));
  }
  const at = text.lastIndexOf('@');
  const run = runByRef(storage, at >= 0 ? text.slice(0, at) : text);
  const which = at >= 0 ? text.slice(at + 1).trim().toLowerCase() : 'best';
  const none = () => new ApiError(`Run "${run.name}" has no checkpoints yet.`, 'not-found');
  switch (which) {
    case 'best':
      return storage.checkpoints.best(run.id) ?? throwError(none());
    case 'latest':
    case 'last':
      return storage.checkpoints.latest(run.id) ?? throwError(none());
    case 'final':
      return storage.checkpoints.latestOfKind(run.id, 'final')
        ?? storage.checkpoints.latestOfKind(run.id, 'imported')
        ?? throwError(new ApiError(`Run "${run.name}" has no final checkpoint (it is ${run.status}). Use ${run.name}@latest for its latest one.`, 'not-found'));
  }
  if (!/^\d+$/.test(which)) {
    throw new ApiError(`"${text}": after "@" comes a step number, best, final or latest.`);
  }
  const step = Number(which);
  const checkpoint = storage.checkpoints.byStep(run.id, step);
  if (checkpoint) return checkpoint;
  const steps = storage.checkpoints.list(run.id).map((c) => c.step);
  throw new ApiError(
    steps.length === 0
      ? `Run "${run.name}" has no checkpoints yet.`
      : `Run "${run.name}" has no checkpoint at step ${step}; it has steps ${[...new Set(steps)].join(', ')}.`,
    'not-found',
  );
}

function throwError(error: Error): never {
  throw error;
}
