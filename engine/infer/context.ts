/**
 * What a model reads of a text, shared by predictNext and trace, and the per-model scratch buffers
 * inference reuses (one step state, one logits row, one probability row), so a prediction allocates
 * nothing but its small result.
 *
 * - A 'next' model was trained on windows of `window` characters from a zero state: it reads the last
 *   `window` characters from a zero state (all of them, with a note, when the text is shorter).
 * - An 'every' model reads the text step by step from a zero state, carrying its state through the
 *   whole text, up to the last `EVERY_MAX_CHARS` characters (with a note when it cuts).
 */
import type { Model, StepState } from '../model.ts';
import type { Vocabulary } from '../text/vocab.ts';

export const EVERY_MAX_CHARS = 1000;

export interface ReadText {
  /** Ids of the characters the model reads, in order (a view: valid until the next call). */
  ids: Int32Array;
  note?: string;
}

/** The ids the model reads from `text`; throws the vocabulary's UnknownCharactersError for unknown characters. */
export function readText(model: Model, vocab: Vocabulary, text: string): ReadText {
  const all = vocab.encode(text);
  if (all.length === 0) throw new RangeError('The text is empty: type at least one character for the model to read.');
  if (model.config.objective === 'next') {
    const W = model.config.window;
    if (all.length < W) {
      return {
        ids: all,
        note: `The model reads ${W} characters; the text has ${all.length}, so it reads ${all.length === 1 ? 'that one' : `those ${all.length}`} (it was trained on full windows, so expect less reliable predictions).`,
      };
    }
    return { ids: all.subarray(all.length - W) };
  }
  if (all.length > EVERY_MAX_CHARS) {
    return { ids: all.subarray(all.length - EVERY_MAX_CHARS), note: `The model reads the last ${EVERY_MAX_CHARS} characters of the text.` };
  }
  return { ids: all };
}

export interface Scratch {
  state: StepState;
  logits: Float32Array; // (V)
  probs: Float64Array; // (V)
  topIds: Int32Array; // (V)
  taken: Uint8Array; // (V)
}

const scratchByModel = new WeakMap<Model, Scratch>();

export function scratchFor(model: Model): Scratch {
  let s = scratchByModel.get(model);
  if (!s) {
    const V = model.config.vocabSize;
    s = {
      state: model.createState(),
      logits: new Float32Array(V),
      probs: new Float64Array(V),
      topIds: new Int32Array(V),
      taken: new Uint8Array(V),
    };
    scratchByModel.set(model, s);
  }
  return s;
}

/** Back to the zero state (h and c of every layer). */
export function resetState(state: StepState): void {
  for (const h of state.h) h.fill(0);
  if (state.c) for (const c of state.c) c.fill(0);
}
