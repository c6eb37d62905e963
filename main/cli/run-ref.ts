/**
 * Telling run references from checkpoint references on the command line. `RUN@STEP` and `#ID` name a
 * checkpoint; a command that acts on a whole run (show, rename, resume) refuses them rather than
 * quietly acting on the run that owns the checkpoint.
 */
import type { RunSummary, WorkbenchApi } from '../api/contract.ts';
import { badInput } from './errors.ts';

/** `RUN@STEP`, `RUN@best`, `#17`: a checkpoint, not a run. */
export function isCheckpointRef(ref: string): boolean {
  const text = ref.trim();
  return text.startsWith('#') || text.includes('@');
}

/** The run a plain reference (id or name) names; a checkpoint reference is refused, naming the command. */
export async function resolveWholeRun(api: WorkbenchApi, ref: string, command: string): Promise<RunSummary> {
  if (isCheckpointRef(ref)) {
    throw badInput(`"${ref}" names a checkpoint; \`rnnwb ${command}\` takes a run (its id or name).`);
  }
  return api.resolveRun(ref);
}
