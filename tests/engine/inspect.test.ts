/**
 * Inspect's math on real traces: a planted quote unit is found by its pattern and by selection search;
 * the long trace agrees with predictNext and the step trace at every position; saturation, AUC and
 * point-biserial correlation equal numpy's on the same values; Kneser–Ney n-grams are distributions,
 * match a hand computation, and improve from n = 1 to 5 on held-out KJV text.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/core/rng.ts';
import { predictNext, trace as stepTrace } from '../../engine/infer/index.ts';
import { markPositions } from '../../engine/inspect/marks.ts';
import { NgramModel, meanBits } from '../../engine/inspect/ngram.ts';
import { aucOf, pointBiserial, rankUnits } from '../../engine/inspect/rank.ts';
import { saturation } from '../../engine/inspect/saturation.ts';
import { selectionSearch } from '../../engine/inspect/selection.ts';
import { TOP_K, traceIds, unitValues, type InspectTrace } from '../../engine/inspect/trace.ts';
import { classTotals } from '../../engine/inspect/char-class.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { PLANTED, QUOTED_TEXT, plantedQuoteModel, quotedSpans } from './inspect-fixtures.ts';
import { runPython } from './python.ts';

const corpora = path.resolve(__dirname, '../../../shared/corpora');
const seedText = readFileSync(path.join(corpora, 'seed-hello-rnn.txt'), 'utf8');

async function traced(model: Model, vocab: Vocabulary, text: string, chunk?: number): Promise<InspectTrace> {
  return (await traceIds(model, vocab.encode(text), { chunk }))!;
}

describe('a planted quote unit', () => {
  it('is ranked first by the pattern "[^"]*" (AUC and correlation), and selection search finds every other quoted span', async () => {
    const { model, vocab } = plantedQuoteModel();
    const trace = await traced(model, vocab, QUOTED_TEXT, 7);
    const planted = unitValues(trace, PLANTED.layer, PLANTED.kind, PLANTED.unit);
    const spans = quotedSpans(QUOTED_TEXT);
    expect(spans.length).toBeGreaterThan(5);
    // the unit is what it was built to be: on exactly from each opening quote to its closing one, both included
    for (let t = 0; t < trace.length; t++) expect(planted[t] > 0.5).toBe(spans.some((s) => t >= s.start && t < s.end));

    const marked = markPositions(QUOTED_TEXT, '"[^"]*"');
    for (const measure of ['auc', 'correlation'] as const) {
      const ranked = await rankUnits(trace, marked, { measure, top: 10 });
      expect(ranked[0].name).toBe(PLANTED.name);
      expect(ranked[0].direction).toBe(1);
      if (measure === 'auc') expect(ranked[0].auc).toBe(1);
      expect(ranked).toHaveLength(10);
    }

    const [first, ...others] = spans;
    const found = selectionSearch(trace, { start: first.start, end: first.end, threshold: 0.5 });
    expect(found.units.map((u) => u.name)).toEqual([PLANTED.name]);
    const matches = found.matches.map(({ start, end }) => ({ start, end })).sort((a, b) => a.start - b.start);
    expect(matches).toEqual(spans);
    expect(found.matches.filter((m) => m.selected)).toEqual([{ ...first, selected: true }]);
    expect(others.length).toBe(found.total - 1);
  });
});

describe('the long trace', () => {
  it('gives at every position the distribution predictNext gives for the text up to there, and the step trace\'s activations', async () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const text = seedText.slice(0, 120);
      const vocab = Vocabulary.fromText(seedText);
      const model = new Model({ cell, layers: 2, vocabSize: vocab.size, embed: 8, hidden: 12, window: 16, objective: 'every', dropout: 0 });
      model.initParams(new Rng(3));
      const trace = await traced(model, vocab, text, 17); // chunks that do not divide the text
      const steps = stepTrace(model, vocab, text);
      const chars = Array.from(text);
      for (let t = 0; t < chars.length; t++) {
        const prefix = chars.slice(0, t + 1).join('');
        const prediction = predictNext(model, vocab, prefix, vocab.size);
        for (let r = 0; r < TOP_K; r++) {
          expect(vocab.chars[trace.topIds[t * TOP_K + r]]).toBe(prediction.top[r].char);
          expect(trace.topP[t * TOP_K + r]).toBeCloseTo(prediction.top[r].p, 5);
        }
        if (t + 1 < chars.length) {
          const p = prediction.top.find((x) => x.char === chars[t + 1])!.p;
          expect(trace.lossBits[t + 1]).toBeCloseTo(-Math.log2(p), 4);
        }
        for (let l = 0; l < 2; l++) {
          for (const kind of trace.kinds) {
            for (let j = 0; j < 12; j++) expect(unitValues(trace, l, kind, j)[t]).toBeCloseTo(steps.layers[l].gates[kind][t][j], 5);
          }
        }
      }
      expect(trace.lossBits[0]).toBeNaN();
    }
  });

  it('totals the loss by character class over positions 1..N−1', async () => {
    const chars = Array.from('ab 1,c');
    const bits = Float32Array.from([NaN, 1, 2, 3, 4, 5]);
    const totals = Object.fromEntries(classTotals(chars, bits).map((c) => [c.class, c]));
    expect(totals.letter).toMatchObject({ count: 2, bits: 6 }); // b (inside a word), c (start)
    expect(totals.space).toMatchObject({ count: 1, bits: 2 });
    expect(totals.digit).toMatchObject({ count: 1, bits: 3 });
    expect(totals.punctuation).toMatchObject({ count: 1, bits: 4 });
    expect(totals['word-inside']).toMatchObject({ count: 1, bits: 1 });
    expect(totals['word-start']).toMatchObject({ count: 2, bits: 8 }); // 1 after a space, c after a comma
  });
});

describe('saturation, AUC and correlation', () => {
  it('equal a direct numpy computation on the same traced values', async () => {
    const text = seedText.slice(0, 400);
    const vocab = Vocabulary.fromText(seedText);
    const model = new Model({ cell: 'lstm', layers: 2, vocabSize: vocab.size, embed: 8, hidden: 10, window: 16, objective: 'every', dropout: 0 });
    model.initParams(new Rng(11));
    for (let i = 0; i < model.params.length; i++) model.params[i] *= 6; // gates that saturate sometimes
    const trace = await traced(model, vocab, text);
    const marked = markPositions(text, '[aeiou]');
    const units: { name: string; values: number[] }[] = [];
    for (let l = 0; l < trace.layers; l++) for (const kind of trace.kinds) for (let j = 0; j < trace.hidden; j++) {
      units.push({ name: `l${l}.${kind}.${j}`, values: Array.from(unitValues(trace, l, kind, j)) });
    }
    const script = `
import json, sys
import numpy as np
data = json.load(sys.stdin)
marked = np.array(data['marked'], dtype=bool)
out = {}
for u in data['units']:
    v = np.array(u['values'], dtype=np.float64)
    pos, neg = v[marked], v[~marked]
    auc = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
    r = np.corrcoef(v, marked.astype(np.float64))[0, 1] if v.std() > 0 else 0.0
    out[u['name']] = {'auc': float(auc), 'r': float(r), 'left': float((v < 0.1).mean()), 'right': float((v > 0.9).mean())}
print(json.dumps(out))
`;
    const numpy = JSON.parse(runPython(script, { input: JSON.stringify({ marked: Array.from(marked), units }) })) as Record<string, { auc: number; r: number; left: number; right: number }>;
    let saturatedSomewhere = 0;
    for (const g of saturation(trace)) {
      g.left.forEach((left, j) => {
        const expected = numpy[`l${g.layer}.${g.gate}.${j}`];
        expect(left).toBe(expected.left);
        expect(g.right[j]).toBe(expected.right);
        if (left > 0 || g.right[j] > 0) saturatedSomewhere++;
      });
    }
    expect(saturatedSomewhere).toBeGreaterThan(10);
    const ranked = await rankUnits(trace, marked);
    expect(ranked).toHaveLength(units.length);
    for (const u of ranked) {
      expect(u.auc).toBeCloseTo(numpy[u.name].auc, 12);
      expect(u.correlation).toBeCloseTo(numpy[u.name].r, 9);
    }
    // and the functions on their own, on values with ties
    const values = Float32Array.from([1, 2, 2, 3, 0, 2]);
    const marks = Uint8Array.from([1, 1, 0, 0, 0, 1]);
    expect(aucOf(values, marks)).toBeCloseTo((1 + 1.5 + 1.5) / 9, 15); // marked 1,2,2 vs unmarked 2,3,0: 1 beats 0; each 2 beats 0, ties 2
    expect(pointBiserial(Float32Array.from([1, 1, 1]), Uint8Array.from([1, 0, 0]))).toBe(0);
  });
});

describe('interpolated Kneser–Ney n-grams', () => {
  it('give probabilities that sum to 1 at every position, for every order', async () => {
    const alphabet = Vocabulary.fromText(seedText).chars;
    const model = (await NgramModel.fit(seedText.slice(0, 600), 5, alphabet))!;
    const history = model.encode(seedText.slice(600, 700));
    for (let n = 1; n <= 5; n++) {
      for (let t = 0; t <= history.length; t++) {
        const sum = model.distribution(n, history.slice(Math.max(0, t - n + 1), t)).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
      }
    }
  });

  it('score a tiny corpus as a hand computation does', async () => {
    // train "abab", alphabet a b c, order 2; score "ab": one position, P(b | a).
    // bigrams ab×2, ba×1: n1 = 1, n2 = 1, D2 = 1/3; c(a•) = 2 with 1 follower.
    // unigram continuation counts: b preceded by {a}, a preceded by {b}: 1 each, total 2, 2 types, n1 = 2, n2 = 0 → D1 = 0.5.
    // P1(b) = (1 − 0.5)/2 + 0.5·2/2·(1/3) = 5/12;  P2(b|a) = (2 − 1/3)/2 + (1/3)·1/2·(5/12) = 65/72.
    const model = (await NgramModel.fit('abab', 2, ['a', 'b', 'c']))!;
    const bits = model.bitsPerPosition(2, 'ab');
    expect(bits[0]).toBeNaN();
    expect(bits[1]).toBeCloseTo(-Math.log2(65 / 72), 12);
    expect(meanBits(bits)).toBeCloseTo(-Math.log2(65 / 72), 12);
    // order 1 on its own: raw counts a×2, b×2: n1 = 0 → D = 0.5; P(b) = 1.5/4 + 0.5·2/4·(1/3) = 11/24
    expect(model.bitsPerPosition(1, 'ab')[1]).toBeCloseTo(-Math.log2(11 / 24), 12);
    expect(() => model.bitsPerPosition(2, 'abd')).toThrow(/"d" at position 2 is not in the n-gram model's alphabet/);
  });

  it('on held-out KJV text, fall in bits per character from n = 1 to n = 5', async () => {
    const kjv = readFileSync(path.join(corpora, 'kjv-1mib.txt'), 'utf8');
    const chars = Array.from(kjv);
    const cut = Math.floor(chars.length * 0.9);
    const model = (await NgramModel.fit(chars.slice(0, cut).join(''), 5, [...new Set(chars)]))!;
    const heldOut = chars.slice(cut, cut + 20_000).join('');
    const bpc = [1, 2, 3, 4, 5].map((n) => meanBits(model.bitsPerPosition(n, heldOut)));
    for (let n = 1; n < 5; n++) expect(bpc[n]).toBeLessThan(bpc[n - 1]);
    expect(bpc[4]).toBeLessThan(2.2);
  }, 60_000);
});
