/** The playground opens a run's final checkpoint (renderer/src/lib/checkpoint-pick.ts), not its best. */
import { describe, expect, it } from 'vitest';
import { finalCheckpoint } from '../../renderer/src/lib/checkpoint-pick.ts';

describe('the checkpoint the playground opens', () => {
  it('is the final one even when an earlier one is the best', () => {
    const list = [{ id: 1, kind: 'best' as const, step: 40 }, { id: 2, kind: 'periodic' as const, step: 80 }, { id: 3, kind: 'final' as const, step: 100 }];
    expect(finalCheckpoint(list)?.id).toBe(3);
  });

  it('is the latest by step when the run has no final one yet (training, or stopped early)', () => {
    expect(finalCheckpoint([{ id: 5, kind: 'periodic' as const, step: 200 }, { id: 4, kind: 'best' as const, step: 150 }])?.id).toBe(5);
    expect(finalCheckpoint([])).toBeUndefined();
  });
});
