/** Which checkpoint the playground opens: the run's final one, as the run ended (the best is a click away). */
import type { CheckpointSummary } from '../../../main/api/contract.ts';

/** The run's final checkpoint, else its latest (a run still training, or one that stopped early). */
export function finalCheckpoint<C extends Pick<CheckpointSummary, 'kind' | 'step'>>(checkpoints: C[]): C | undefined {
  return checkpoints.find((c) => c.kind === 'final') ?? checkpoints.reduce<C | undefined>((latest, c) => (!latest || c.step > latest.step ? c : latest), undefined);
}
