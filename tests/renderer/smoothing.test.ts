// The training charts' smoothing is TensorBoard's debiased exponential moving average. The expected
// values here are written out from the definition, independently of the loop under test:
//   m_t = β·m_{t-1} + (1 − β)·x_t,  m_0 = 0,   s_t = m_t / (1 − β^t)   (t counts the non-gap points)
import { describe, expect, it } from 'vitest';
import { smoothDebiased } from '../../renderer/src/lib/smoothing.ts';

/** s_t in closed form: the β-weighted average of x_1..x_t, weights (1 − β)·β^(t−i), over their sum 1 − β^t. */
function debiasedAt(xs: number[], beta: number, t: number): number {
  let weighted = 0;
  for (let i = 1; i <= t; i++) weighted += (1 - beta) * Math.pow(beta, t - i) * xs[i - 1];
  return weighted / (1 - Math.pow(beta, t));
}

describe('smoothDebiased', () => {
  it('starts at the first raw value, not pulled towards zero', () => {
    for (const beta of [0.3, 0.6, 0.95, 0.99]) {
      expect(smoothDebiased([4.2, 1, 1, 1], beta)[0]).toBeCloseTo(4.2, 12);
    }
  });

  it('keeps a constant series constant', () => {
    const out = smoothDebiased(new Array(50).fill(2.5), 0.9);
    for (const v of out) expect(v).toBeCloseTo(2.5, 12);
  });

  it('matches the debiased average for a short series', () => {
    const xs = [3, 1, 4, 1, 5, 9, 2, 6];
    const beta = 0.6;
    const out = smoothDebiased(xs, beta);
    expect(out).toHaveLength(xs.length);
    xs.forEach((_, i) => expect(out[i]).toBeCloseTo(debiasedAt(xs, beta, i + 1), 12));
    // By hand for the second point: m_2 = 0.6·0.4·3 + 0.4·1 = 1.12, over 1 − 0.36 = 0.64.
    expect(out[1]).toBeCloseTo(1.75, 12);
  });

  it('carries gaps through without counting them as points', () => {
    const beta = 0.5;
    const out = smoothDebiased([2, null, 6, Number.NaN, 4], beta);
    expect(out[1]).toBeNull();
    expect(out[3]).toBeNull();
    expect(out[0]).toBeCloseTo(debiasedAt([2, 6, 4], beta, 1), 12);
    expect(out[2]).toBeCloseTo(debiasedAt([2, 6, 4], beta, 2), 12);
    expect(out[4]).toBeCloseTo(debiasedAt([2, 6, 4], beta, 3), 12);
  });

  it('returns a copy of the raw values at weight 0', () => {
    const xs = [1, null, 3];
    const out = smoothDebiased(xs, 0);
    expect(out).toEqual(xs);
    expect(out).not.toBe(xs);
  });
});
