/**
 * Which points of a long curve to draw. A chart 1000 pixels wide gains nothing from 200,000 points,
 * but averaging or striding would hide the spikes people look for; so per bucket the minimum and the
 * maximum train loss are kept (the M4 idea, without the pixel grid), plus every validation point and
 * the first and last rows.
 */

/** Indices (ascending) to keep out of `trainLoss.length` rows in step order; all of them when they fit. */
export function downsampleIndices(
  trainLoss: ArrayLike<number>,
  isValidation: ArrayLike<boolean>,
  maxPoints: number,
): number[] {
  const n = trainLoss.length;
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);
  const keep = new Uint8Array(n);
  let validation = 0;
  for (let i = 0; i < n; i++) {
    if (isValidation[i]) {
      keep[i] = 1;
      validation++;
    }
  }
  keep[0] = 1;
  keep[n - 1] = 1;
  // Two points per bucket; at least one bucket even when validation points fill the budget.
  const buckets = Math.max(1, Math.floor((limit - validation - 2) / 2));
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (trainLoss[i] < trainLoss[lo]) lo = i;
      if (trainLoss[i] > trainLoss[hi]) hi = i;
    }
    keep[lo] = 1;
    keep[hi] = 1;
  }
  const indices: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) indices.push(i);
  return indices;
}
