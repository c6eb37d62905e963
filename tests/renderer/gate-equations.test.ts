/**
 * The gates panel's "equation with the numbers in it" (renderer/src/lib/gate-equations.ts): the text
 * for known values, and on real traces of LSTM, GRU and RNN models (engine/infer/trace.ts) that the
 * numbers shown reproduce the traced c and h to the precision shown, at every character and unit.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CellKind } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { trace } from '../../engine/infer/index.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { fillEquations, formatValue } from '../../renderer/src/lib/gate-equations.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');
const vocab = Vocabulary.fromText(sentence);

function traced(cell: CellKind, layers = 1) {
  const model = new Model({ cell, layers, vocabSize: vocab.size, embed: 8, hidden: 12, window: 40, objective: 'next', dropout: 0 });
  model.initParams(new Rng(7));
  return trace(model, vocab, sentence.slice(0, 40));
}

/** Every (character, unit) of every layer: the shown result equals the traced value as shown. */
function checkAll(cell: CellKind, layers = 1): number {
  const t = traced(cell, layers);
  let checked = 0;
  for (const layer of t.layers) {
    const H = layer.gates.h[0].length;
    for (let position = 0; position < t.chars.length; position++) {
      for (let unit = 0; unit < H; unit++) {
        for (const line of fillEquations(cell, layer.gates, position, unit).lines) {
          expect(Math.abs(line.computed - line.traced)).toBeLessThan(1e-5);
          expect(formatValue(line.computed)).toBe(formatValue(line.traced));
          expect(line.text.endsWith(`= ${formatValue(line.traced)}`)).toBe(true);
          checked++;
        }
      }
    }
  }
  return checked;
}

describe('the equation with the numbers in it', () => {
  it('LSTM: c_t = f·c_{t−1} + i·g and h_t = o·tanh(c_t), negative numbers in parentheses, with what each gate did', () => {
    // Position 1 of unit 0; position 0 holds the previous cell state −0.41.
    const maps = {
      i: [[0.5], [0.88]], f: [[0.5], [0.93]], g: [[0.5], [0.67]], o: [[0.5], [0.55]],
      c: [[-0.41], [0.93 * -0.41 + 0.88 * 0.67]], h: [[0], [0.55 * Math.tanh(0.93 * -0.41 + 0.88 * 0.67)]],
    };
    const filled = fillEquations('lstm', maps, 1, 0);
    expect(filled.lines.map((l) => l.text)).toEqual([
      'c_t = f·c_{t−1} + i·g = 0.93·(\u22120.41) + 0.88·0.67 = 0.21',
      'h_t = o·tanh(c_t) = 0.55·tanh(0.21) = 0.11',
    ]);
    expect(filled.roles).toEqual([
      { gate: 'f', message: 'gates.did.f', vars: { value: '0.93', share: '93 %' } },
      { gate: 'i', message: 'gates.did.i', vars: { value: '0.88', share: '88 %', candidate: '0.67' } },
      { gate: 'o', message: 'gates.did.o', vars: { value: '0.55', share: '55 %', cell: '0.21' } },
    ]);
    // The first character starts from a zero state.
    expect(fillEquations('lstm', maps, 0, 0).lines[0].text).toBe('c_t = f·c_{t−1} + i·g = 0.50·0.00 + 0.50·0.50 = 0.25');
  });

  it('GRU in PyTorch\'s form: h_t = (1 − z)·n + z·h_{t−1}, and r inside the candidate', () => {
    const maps = { r: [[0.2], [0.4]], z: [[0.5], [0.3]], n: [[-0.2], [0.52]], h: [[-0.11], [0.7 * 0.52 + 0.3 * -0.11]] };
    const filled = fillEquations('gru', maps, 1, 0);
    expect(filled.lines[1].text).toBe('h_t = (1 − z)·n + z·h_{t−1} = (1 − 0.30)·0.52 + 0.30·(\u22120.11) = 0.33');
    expect(filled.lines[0].text).toBe(`n_t = tanh(W_in x + b_in + 0.40·(W_hn h_{t−1} + b_hn)) = tanh(${formatValue(Math.atanh(0.52))}) = 0.52`);
    expect(filled.roles[1]).toEqual({ gate: 'z', message: 'gates.did.z', vars: { value: '0.30', share: '30 %', rest: '70 %' } });
  });

  it('RNN: h_t = tanh(…) with its argument; a saturated output shows "…" rather than infinity', () => {
    expect(fillEquations('rnn', { h: [[0.69]] }, 0, 0).lines[0].text).toBe('h_t = tanh(W_ih x + b_ih + W_hh h_{t−1} + b_hh) = tanh(0.85) = 0.69');
    expect(fillEquations('rnn', { h: [[-1]] }, 0, 0).lines[0].text).toContain('tanh(…) = \u22121.00');
    expect(formatValue(-0.001)).toBe('0.00');
  });

  it('reproduces the traced c and h of real LSTM (2 layers), GRU and RNN traces at every character and unit', () => {
    expect(checkAll('lstm', 2)).toBe(2 * 40 * 12 * 2);
    expect(checkAll('gru')).toBe(40 * 12 * 2);
    expect(checkAll('rnn')).toBe(40 * 12);
  });

  it('would catch the textbook GRU (z and 1 − z swapped): the trace does not follow it', () => {
    const { gates } = traced('gru').layers[0];
    let differs = 0;
    for (let position = 1; position < 40; position++) {
      for (let unit = 0; unit < 12; unit++) {
        const [z, n, hPrev, h] = [gates.z[position][unit], gates.n[position][unit], gates.h[position - 1][unit], gates.h[position][unit]];
        if (formatValue(z * n + (1 - z) * hPrev) !== formatValue(h)) differs++;
      }
    }
    expect(differs).toBeGreaterThan(100);
  });
});
