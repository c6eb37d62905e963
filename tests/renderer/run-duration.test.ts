// The New-run form's duration estimate, from the speed of past runs on this machine or, before any, a calibration.
import { describe, expect, it } from 'vitest';
import { estimateDuration, estimateFromCalibration, type PastRun } from '../../renderer/src/lib/run-duration.ts';

const run = (cell: string, parameterCount: number, charsPerSec: number | null): PastRun => ({ hyper: { cell: cell as never }, parameterCount, charsPerSec });
const plan = { cell: 'lstm', parameters: 20_000, steps: 500, batchWindows: 10, window: 10 };

describe('estimateDuration', () => {
  it('scales a past run’s speed by size: twice the parameters, half the chars per second', () => {
    // 50,000 chars/s at 10,000 parameters: 25,000 chars/s at 20,000; 50,000 chars take 2 s.
    expect(estimateDuration(plan, [run('lstm', 10_000, 50_000)])).toEqual({ ms: 2000, basedOn: 1 });
  });

  it('prefers runs of the same cell, takes the median, and ignores runs without a speed', () => {
    const past = [run('gru', 10_000, 1), run('lstm', 10_000, 40_000), run('lstm', 10_000, 50_000), run('lstm', 10_000, 60_000), run('lstm', 10_000, null)];
    expect(estimateDuration(plan, past)).toEqual({ ms: 2000, basedOn: 3 });
    expect(estimateDuration({ ...plan, cell: 'rnn' }, past)!.basedOn).toBe(4);
  });

  it('has no estimate without a past run that measured its speed', () => {
    expect(estimateDuration(plan, [])).toBeNull();
    expect(estimateDuration(plan, [run('lstm', 10_000, null), run('lstm', 10_000, 0)])).toBeNull();
  });
});

describe('estimateFromCalibration', () => {
  it('reads a calibration as one measured run of the plan\'s cell, and keeps how long it measured', () => {
    expect(estimateFromCalibration(plan, { charsPerSec: 50_000, parameterCount: 10_000, measuredMs: 1003 })).toEqual({ ms: 2000, calibrationMs: 1003 });
    expect(estimateFromCalibration(plan, { charsPerSec: 0, parameterCount: 10_000, measuredMs: 1000 })).toBeNull();
  });
});
