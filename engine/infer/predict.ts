/**
 * predictNext: the k most likely characters after a text, with their probabilities. The model reads
 * the text as described in context.ts (a 'next' model its last `window` characters, an 'every' model
 * the whole text up to its last 1,000 characters), from a zero state, one step at a time into reused
 * buffers: nothing is allocated per call but the result.
 */
import type { Model } from '../model.ts';
import type { Vocabulary } from '../text/vocab.ts';
import { readText, resetState, scratchFor } from './context.ts';
import { softmaxInto, topKIndices } from './sampling.ts';

export interface Prediction {
  /** Most likely first. */
  top: { char: string; p: number }[];
  /** How many characters the model read. */
  read: number;
  /** Set when the model read something other than the whole text as given (e.g. fewer chars than its window). */
  note?: string;
}

export function predictNext(model: Model, vocab: Vocabulary, text: string, k = 5): Prediction {
  const V = model.config.vocabSize;
  if (vocab.size !== V) throw new RangeError(`The vocabulary has ${vocab.size} characters but the model expects ${V}.`);
  const { ids, note } = readText(model, vocab, text);
  const s = scratchFor(model);
  resetState(s.state);
  for (let t = 0; t < ids.length; t++) model.step(s.state, ids[t], s.logits);
  softmaxInto(s.probs, s.logits, V);
  const n = topKIndices(s.topIds, s.taken, s.probs, V, Math.max(1, Math.floor(k)));
  const top = new Array<{ char: string; p: number }>(n);
  for (let r = 0; r < n; r++) top[r] = { char: vocab.chars[s.topIds[r]], p: s.probs[s.topIds[r]] };
  return note ? { top, read: ids.length, note } : { top, read: ids.length };
}
