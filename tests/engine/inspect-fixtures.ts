/**
 * A model built by hand for the Inspect tests: a 1-layer LSTM with two planted units.
 * Unit 0 is a flip-flop on the quote character: reading `"` sets its cell to +1 when it was off and to
 * −1 when it was on (its candidate g reads its own h with weight −26); other characters keep the cell
 * (forget ≈ 1, input ≈ 0). So h0 is on from an opening quote up to, not with, the closing one.
 * Unit 1 is "inside quotes, both quotes included": it forgets everything (f ≈ 0, i ≈ 1) and its
 * candidate is on when the character is a quote or unit 0 was on before it — exactly the positions
 * the pattern "[^"]*" covers. Units 2.. have small random weights, read a per-character embedding and
 * not units 0 and 1, so they vary but stay below 0.5.
 */
import { Rng } from '../../engine/core/rng.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

export const QUOTED_TEXT = [
  'He said "hello there" and then "goodbye" to all of them.\n',
  'She asked "why not?" and left; nobody answered.\n',
  'A long line without any quote at all, just words and, commas.\n',
  '"Start" of a line, then "a longer quoted part, with commas" here.\n',
  'Numbers 12 and 345 stay outside, but "7 8 9" is inside.\n',
  'The end "is near" now.\n',
].join('');

export const PLANTED = { layer: 0, kind: 'h', unit: 1, name: 'l0.h.1' } as const;

export function plantedQuoteModel(text = QUOTED_TEXT, hidden = 4): { model: Model; vocab: Vocabulary } {
  const vocab = Vocabulary.fromText(text);
  const V = vocab.size;
  const E = 3;
  const H = hidden;
  const model = new Model({ cell: 'lstm', layers: 1, vocabSize: V, embed: E, hidden: H, window: 64, objective: 'every', dropout: 0 });
  const rng = new Rng(7);
  const small = () => (rng.uniform() * 2 - 1) * 0.1;
  for (let i = 0; i < model.params.length; i++) model.params[i] = small();
  const p = (name: string) => model.layout.view(model.params, name);
  const emb = p('embedding.weight'); // (V, E): [is quote, 1, noise]
  const quote = vocab.chars.indexOf('"');
  for (let v = 0; v < V; v++) {
    emb[v * E] = v === quote ? 1 : 0;
    emb[v * E + 1] = 1;
    emb[v * E + 2] = rng.uniform() * 2 - 1;
  }
  const wIh = p('lstm.weight_ih_l0'); // (4H, E), gates i, f, g, o
  const wHh = p('lstm.weight_hh_l0'); // (4H, H)
  const bIh = p('lstm.bias_ih_l0');
  const bHh = p('lstm.bias_hh_l0');
  const unit0 = { i: [30, -15, 0], f: [-30, 15, 0], g: [10, 0, 0], o: [0, 0, 0] };
  const bias1 = { i: 15, f: -15, g: 0, o: 10 };
  (['i', 'f', 'g', 'o'] as const).forEach((gate, g) => {
    for (const unit of [0, 1]) {
      const row = g * H + unit;
      for (let e = 0; e < E; e++) wIh[row * E + e] = unit === 0 ? unit0[gate][e] : 0;
      for (let j = 0; j < H; j++) wHh[row * H + j] = 0;
      bIh[row] = unit === 0 ? (gate === 'o' ? 10 : 0) : bias1[gate];
      bHh[row] = 0;
    }
    // the other units read neither planted unit, so those cannot push them past 0.5
    for (let k = 2; k < H; k++) wHh[(g * H + k) * H] = wHh[(g * H + k) * H + 1] = 0;
  });
  wHh[(2 * H) * H] = -26; // g of unit 0 reads h of unit 0
  wIh[(2 * H + 1) * E] = 20; // g of unit 1 reads the quote…
  wHh[(2 * H + 1) * H] = 20; // …and h of unit 0
  return { model, vocab };
}

/** [start, end) of each quoted span, both quotes included: what "[^"]*" matches. */
export function quotedSpans(text: string): { start: number; end: number }[] {
  const chars = Array.from(text);
  const spans: { start: number; end: number }[] = [];
  let open = -1;
  chars.forEach((ch, t) => {
    if (ch !== '"') return;
    if (open < 0) open = t;
    else {
      spans.push({ start: open, end: t + 1 });
      open = -1;
    }
  });
  return spans;
}
