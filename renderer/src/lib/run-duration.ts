/**
 * How long a run will take, before it starts, from the speed of runs that trained on this machine:
 * each past run's chars/s times its parameter count is the work it did per second (a step costs about
 * parameters × characters); the median of those, over runs of the same cell when there are any,
 * divided by the new run's size gives its chars/s. Without past runs, a calibration of this machine
 * (api.calibrateSpeed) stands in for them.
 */
import type { RunSummary } from '../../../main/api/contract.ts';

export interface DurationEstimate {
  ms: number;
  /** How many past runs the speed comes from. */
  basedOn: number;
}

export type PastRun = Pick<RunSummary, 'parameterCount' | 'charsPerSec'> & { hyper: Pick<RunSummary['hyper'], 'cell'> };

export function estimateDuration(
  plan: { cell: string; parameters: number; steps: number; batchWindows: number; window: number },
  past: readonly PastRun[],
): DurationEstimate | null {
  const measured = past.filter((run) => run.charsPerSec !== null && run.charsPerSec > 0 && run.parameterCount > 0);
  const sameCell = measured.filter((run) => run.hyper.cell === plan.cell);
  const basis = sameCell.length > 0 ? sameCell : measured;
  if (basis.length === 0 || plan.parameters <= 0) return null;
  const work = basis.map((run) => run.charsPerSec! * run.parameterCount).sort((a, b) => a - b);
  const middle = work.length / 2;
  const median = work.length % 2 === 1 ? work[Math.floor(middle)] : (work[middle - 1] + work[middle]) / 2;
  const charsPerSec = median / plan.parameters;
  const chars = plan.steps * plan.batchWindows * plan.window;
  return { ms: (chars / charsPerSec) * 1000, basedOn: basis.length };
}

/** Measured by calibrateSpeed (a second of training of this shape, before any run trained here). */
export interface Calibration {
  charsPerSec: number;
  parameterCount: number;
  measuredMs: number;
}

/** The same estimate from a calibration: one measured "run" of the plan's cell. */
export function estimateFromCalibration(
  plan: { cell: string; parameters: number; steps: number; batchWindows: number; window: number },
  calibration: Calibration,
): { ms: number; calibrationMs: number } | null {
  const estimate = estimateDuration(plan, [{ charsPerSec: calibration.charsPerSec, parameterCount: calibration.parameterCount, hyper: { cell: plan.cell as PastRun['hyper']['cell'] } }]);
  return estimate && { ms: estimate.ms, calibrationMs: calibration.measuredMs };
}
