/**
 * TensorBoard's debiased exponential moving average: the running average starts at 0 and is divided
 * by (1 − w^n), so the first points are not pulled towards zero. Gaps (null) are carried through.
 */
export function smoothDebiased(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values.slice();
  const out: (number | null)[] = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - Math.pow(weight, count));
  }
  return out;
}
