/**
 * A sweep's grid: hyperparameters with several values each, and the runs it stands for — every
 * combination, in order (the last field varies fastest). The host expands it (main/runs/plan.ts, after
 * checking the fields), the CLI checks every point before storing anything, the form counts the runs.
 */
import type { Hyperparameters } from './config.ts';

export type SweepGrid = Partial<Record<keyof Hyperparameters, (number | string)[]>>;

/** The most runs one sweep creates. */
export const MAX_SWEEP_RUNS = 256;

/** Every combination of the grid's values, as the fields each run sets. */
export function gridPoints(grid: SweepGrid): Partial<Hyperparameters>[] {
  let points: Partial<Hyperparameters>[] = [{}];
  for (const [field, values] of Object.entries(grid)) {
    if (values === undefined) continue;
    points = points.flatMap((point) => values.map((value) => ({ ...point, [field]: value })));
  }
  return points;
}

/** How many runs the grid stands for (without listing them). */
export function gridSize(grid: SweepGrid): number {
  return Object.values(grid).reduce((n, values) => n * (values?.length ?? 1), 1);
}
