/**
 * trace: the gate activations of every layer at every character the model reads, as plain arrays
 * (for charts and for export). The text is read as predictNext reads it (context.ts): a 'next' model
 * its last `window` characters from a zero state, an 'every' model the whole text up to its last
 * 1,000 characters.
 *   LSTM: i, f, g, o (gates), c (cell), h (output)      GRU: r, z, n, h      RNN: h
 */
import type { CellKind } from '../config.ts';
import type { GateTrace, Model } from '../model.ts';
import type { Vocabulary } from '../text/vocab.ts';
import { readText, resetState, scratchFor } from './context.ts';

export const GATE_NAMES: Record<CellKind, readonly string[]> = {
  lstm: ['i', 'f', 'g', 'o', 'c', 'h'],
  gru: ['r', 'z', 'n', 'h'],
  rnn: ['h'],
};

export interface Trace {
  /** The characters read, in order. */
  chars: string[];
  /** Per layer: gate name → (characters read) × H activations. */
  layers: { gates: Record<string, number[][]> }[];
  /** Logits after the last character (V), and the note of what was read, if any. */
  logits: number[];
  note?: string;
}

export function trace(model: Model, vocab: Vocabulary, text: string): Trace {
  const { cell, layers: L, hidden: H } = model.config;
  const { ids, note } = readText(model, vocab, text);
  const names = GATE_NAMES[cell];
  const record: GateTrace = [];
  for (let l = 0; l < L; l++) {
    const layer: Record<string, Float32Array> = {};
    for (const name of names) layer[name] = new Float32Array(H);
    record.push(layer);
  }
  const layers = Array.from({ length: L }, () => ({ gates: Object.fromEntries(names.map((n) => [n, [] as number[][]])) }));
  const s = scratchFor(model);
  resetState(s.state);
  const chars: string[] = [];
  for (let t = 0; t < ids.length; t++) {
    model.step(s.state, ids[t], s.logits, record);
    chars.push(vocab.chars[ids[t]]);
    for (let l = 0; l < L; l++) {
      for (const name of names) {
        const values = record[l]?.[name];
        if (!values) throw new Error(`The model recorded no "${name}" gate for layer ${l}.`);
        layers[l].gates[name].push(Array.from(values));
      }
    }
  }
  const result: Trace = { chars, layers, logits: Array.from(s.logits) };
  if (note) result.note = note;
  return result;
}
