/**
 * From logits to a choice: softmax (with temperature), top-k and nucleus (top-p) filtering, and a draw
 * from the seeded Rng. Probabilities are computed in float64 from float32 logits.
 *
 *   p_i = exp((z_i - max z) / τ) / Σ_j exp((z_j - max z) / τ)        τ = 0 → argmax (greedy)
 *   top-k keeps the k most likely; top-p keeps the smallest most-likely set whose mass reaches p;
 *   the kept probabilities are renormalised before the draw.
 */
import type { Rng } from '../core/rng.ts';

/** probs(V) = softmax(logits / temperature); temperature must be > 0. */
export function softmaxInto(probs: Float64Array, logits: Float32Array, V: number, temperature = 1): void {
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const e = Math.exp((logits[i] - max) / temperature);
    probs[i] = e;
    sum += e;
  }
  for (let i = 0; i < V; i++) probs[i] /= sum;
}

/** Index of the largest logit (the lowest index among ties). */
export function argmax(logits: ArrayLike<number>, V: number): number {
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * Writes the indices of the k largest probabilities into `out` (descending, ties by lower index) and
 * returns k. `taken` is scratch of length ≥ V. O(k·V): meant for small k.
 */
export function topKIndices(out: Int32Array, taken: Uint8Array, probs: Float64Array, V: number, k: number): number {
  const n = Math.min(k, V);
  taken.fill(0, 0, V);
  for (let r = 0; r < n; r++) {
    let best = -1;
    for (let i = 0; i < V; i++) {
      if (taken[i]) continue;
      if (best < 0 || probs[i] > probs[best]) best = i;
    }
    taken[best] = 1;
    out[r] = best;
  }
  return n;
}

export interface SampleOptions {
  temperature: number;
  /** Keep only the k most likely characters; 0 = all. */
  topK: number;
  /** Keep the smallest most-likely set whose probability reaches topP; 1 = all. */
  topP: number;
}

/** One draw from the logits under these options; `scratch` (V) is reused between calls. */
export function sampleFromLogits(logits: Float32Array, V: number, opts: SampleOptions, rng: Rng, scratch: Float64Array): number {
  if (opts.temperature === 0) return argmax(logits, V);
  softmaxInto(scratch, logits, V, opts.temperature);
  const filterK = opts.topK > 0 && opts.topK < V;
  const filterP = opts.topP < 1;
  if (!filterK && !filterP) return drawFrom(scratch, V, rng);

  // Sort candidates by probability, descending (ties by lower index), then cut.
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => scratch[b] - scratch[a] || a - b);
  let keep = filterK ? opts.topK : V;
  if (filterP) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += scratch[order[r]];
      if (mass >= opts.topP) {
        keep = r + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let r = 0; r < keep; r++) total += scratch[order[r]];
  let u = rng.uniform() * total;
  for (let r = 0; r < keep; r++) {
    u -= scratch[order[r]];
    if (u < 0) return order[r];
  }
  return order[keep - 1];
}

function drawFrom(probs: Float64Array, V: number, rng: Rng): number {
  let u = rng.uniform();
  let last = 0;
  for (let i = 0; i < V; i++) {
    if (probs[i] <= 0) continue;
    last = i;
    u -= probs[i];
    if (u < 0) return i;
  }
  return last; // rounding left u a hair above the total
}
