/**
 * generate: n characters continuing a prime, drawn from the model with a seeded Rng (one seed → one
 * text). Returns only the new characters (not the prime).
 * - A 'next' model slides its window like the reference script: each new character is predicted from
 *   the last `window` characters of prime + generated so far, read from a zero state (fewer while the
 *   text is shorter than the window).
 * - An 'every' model reads the prime once and then carries its state, feeding back each drawn character.
 * Temperature 0 is greedy (argmax); topK (0 = off) and topP (1 = off) filter before the draw.
 */
import { Rng } from '../core/rng.ts';
import type { Model } from '../model.ts';
import type { Vocabulary } from '../text/vocab.ts';
import { resetState, scratchFor } from './context.ts';
import { sampleFromLogits } from './sampling.ts';

export interface GenerateOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

export function generate(model: Model, vocab: Vocabulary, prime: string, n: number, opts: GenerateOptions = {}): string {
  const V = model.config.vocabSize;
  if (vocab.size !== V) throw new RangeError(`The vocabulary has ${vocab.size} characters but the model expects ${V}.`);
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 0;
  const topP = opts.topP ?? 1;
  if (!Number.isFinite(temperature) || temperature < 0) throw new RangeError(`Temperature must be 0 or more (got ${temperature}).`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`Top-k must be a whole number, 0 for off (got ${topK}).`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`Top-p must be above 0 and at most 1 (got ${topP}).`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`The length must be a whole number (got ${n}).`);
  const primeIds = vocab.encode(prime);
  if (primeIds.length === 0) throw new RangeError('The prime is empty: give at least one character to start from.');

  const rng = new Rng(opts.seed ?? 1);
  const s = scratchFor(model);
  const sampling = { temperature, topK, topP };
  const out = new Int32Array(n);

  if (model.config.objective === 'next') {
    // Each window is one batched forward from a zero state (B = 1, T ≤ W): the input products of all
    // its steps are one matmul and only the last step reaches the head. The same arithmetic per
    // element as W calls of step(), so the same text.
    const W = model.config.window;
    const ctx = new Int32Array(primeIds.length + n);
    const win = new Int32Array(W);
    ctx.set(primeIds);
    let len = primeIds.length;
    for (let i = 0; i < n; i++) {
      const from = Math.max(0, len - W);
      const T = len - from;
      for (let t = 0; t < T; t++) win[t] = ctx[from + t];
      const next = sampleFromLogits(model.logits(win, 1, T), V, sampling, rng, s.probs);
      ctx[len++] = next;
      out[i] = next;
    }
  } else {
    resetState(s.state);
    for (let t = 0; t < primeIds.length; t++) model.step(s.state, primeIds[t], s.logits);
    for (let i = 0; i < n; i++) {
      const next = sampleFromLogits(s.logits, V, sampling, rng, s.probs);
      out[i] = next;
      if (i + 1 < n) model.step(s.state, next, s.logits);
    }
  }
  return vocab.decode(out);
}
