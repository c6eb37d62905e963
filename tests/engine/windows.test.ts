// Windows, the validation split and minibatches over the reference sentence.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, validateAgainstCorpus } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import {
  batchesPerEpoch, fillBatch, makeWindows, sequentialOrder, shuffledOrder, splitCorpus,
} from '../../engine/data/windows.ts';
import { CorpusTooShortError } from '../../engine/text/errors.ts';
import { decodeUtf8Exact } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = decodeUtf8Exact(new Uint8Array(readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt')))).text;
const vocab = Vocabulary.fromText(sentence);
const ids = vocab.encode(sentence);

describe('makeWindows', () => {
  it("cuts the reference sentence into 92 'next' windows, starts 0..91, each predicting the char after it", () => {
    const set = makeWindows(ids, 10, 'next', 0);
    expect(ids.length).toBe(102);
    expect(set.starts.length).toBe(92);
    expect(Array.from(set.starts)).toEqual(Array.from({ length: 92 }, (_, i) => i));

    const inputs = new Int32Array(92 * 10);
    const targets = new Int32Array(92);
    fillBatch(set, sequentialOrder(92), 0, 92, inputs, targets);
    expect(vocab.decode(inputs.subarray(0, 10))).toBe('Hello, RNN');
    expect(vocab.decode(targets.subarray(0, 1))).toBe('!');
    for (let w = 0; w < 92; w++) {
      expect(vocab.decode(inputs.subarray(w * 10, w * 10 + 10))).toBe(sentence.slice(w, w + 10));
      expect(vocab.chars[targets[w]]).toBe(sentence[w + 10]);
    }
    expect(vocab.chars[targets[91]]).toBe('.'); // the last window predicts the final character
  });

  it("gives 'every' windows shifted targets and a default stride of one window", () => {
    const set = makeWindows(ids, 10, 'every', 0);
    expect(Array.from(set.starts)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const inputs = new Int32Array(30);
    const targets = new Int32Array(30);
    fillBatch(set, new Int32Array([9, 0, 4]), 0, 3, inputs, targets);
    expect(vocab.decode(inputs.subarray(0, 10))).toBe(sentence.slice(90, 100));
    expect(vocab.decode(targets.subarray(0, 10))).toBe(sentence.slice(91, 101));
    expect(vocab.decode(inputs.subarray(10, 20))).toBe(sentence.slice(0, 10));
    expect(vocab.decode(targets.subarray(10, 20))).toBe(sentence.slice(1, 11));
    expect(vocab.decode(targets.subarray(20, 30))).toBe(sentence.slice(41, 51));
  });

  it('honours an explicit stride', () => {
    expect(makeWindows(ids, 10, 'next', 3).starts.length).toBe(Math.floor(91 / 3) + 1);
    expect(makeWindows(ids, 10, 'every', 1).starts.length).toBe(92);
    // Starts run while s + 20 <= 101: the last possible start is 81.
    expect(Array.from(makeWindows(ids, 20, 'next', 40).starts)).toEqual([0, 40, 80]);
    expect(Array.from(makeWindows(ids, 20, 'next', 81).starts)).toEqual([0, 81]);
    expect(Array.from(makeWindows(ids, 20, 'next', 82).starts)).toEqual([0]);
    // Exactly window + 1 ids: one window.
    expect(makeWindows(ids.subarray(0, 11), 10, 'next', 0).starts.length).toBe(1);
  });

  it('refuses a text too short for one window, naming both numbers', () => {
    const short = ids.subarray(0, 5);
    expect(() => makeWindows(short, 10, 'next', 0)).toThrow(CorpusTooShortError);
    expect(() => makeWindows(short, 10, 'next', 0)).toThrow('The text has 5 characters; a window of 10 needs at least 11.');
    expect(() => makeWindows(ids.subarray(0, 10), 10, 'every', 0, 'The validation split')).toThrow(
      'The validation split has 10 characters; a window of 10 needs at least 11.',
    );
    expect(() => makeWindows(ids, 0, 'next', 0)).toThrow(RangeError);
  });
});

describe('splitCorpus', () => {
  it('holds out the contiguous tail, agreeing with validateAgainstCorpus', () => {
    const { train, val } = splitCorpus(ids, 0.1);
    expect(train.length).toBe(Math.floor(102 * 0.9));
    expect(train.length + val.length).toBe(102);
    expect(vocab.decode(train) + vocab.decode(val)).toBe(sentence);
    expect(makeWindows(val, 10, 'next', 0).starts.length).toBe(val.length - 10);
    expect(validateAgainstCorpus({ ...DEFAULT_HYPERPARAMETERS, valFraction: 0.1 }, 102)).toBeNull();

    const none = splitCorpus(ids, 0);
    expect(none.train.length).toBe(102);
    expect(none.val.length).toBe(0);
    expect(() => splitCorpus(ids, 1)).toThrow(RangeError);
  });

  it('agrees with validateAgainstCorpus on when the validation split is too short', () => {
    for (const n of [20, 50, 60, 101, 110, 111, 120]) {
      for (const f of [0.05, 0.1, 0.2, 0.3]) {
        const { train, val } = splitCorpus(new Int32Array(n), f);
        const problem = validateAgainstCorpus({ ...DEFAULT_HYPERPARAMETERS, window: 10, valFraction: f }, n);
        expect(problem === null, `n=${n} f=${f}`).toBe(train.length >= 11 && val.length >= 11);
      }
    }
  });
});

describe('batches', () => {
  it('covers every window exactly once per epoch in a shuffled order, last batch partial', () => {
    const set = makeWindows(ids, 10, 'next', 0);
    const B = 32;
    expect(batchesPerEpoch(92, B)).toBe(3);
    const order = shuffledOrder(92, new Rng(42));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 92 }, (_, i) => i));
    expect(Array.from(order)).not.toEqual(Array.from(sequentialOrder(92)));
    expect(Array.from(shuffledOrder(92, new Rng(42)))).toEqual(Array.from(order)); // deterministic per seed

    const inputs = new Int32Array(B * 10);
    const targets = new Int32Array(B);
    const seen: number[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const from = batch * B;
      const size = Math.min(B, 92 - from);
      inputs.fill(-1);
      targets.fill(-1);
      fillBatch(set, order, from, size, inputs, targets);
      for (let b = 0; b < size; b++) {
        const start = order[from + b];
        seen.push(start);
        expect(Array.from(inputs.subarray(b * 10, b * 10 + 10))).toEqual(Array.from(ids.subarray(start, start + 10)));
        expect(targets[b]).toBe(ids[start + 10]);
      }
      // A partial batch writes nothing past its own rows.
      expect(inputs.subarray(size * 10).every((v) => v === -1)).toBe(true);
      expect(targets.subarray(size).every((v) => v === -1)).toBe(true);
    }
    expect(seen.length).toBe(92);
    expect(new Set(seen).size).toBe(92);
  });

  it('refuses batches outside the order or buffers too small', () => {
    const set = makeWindows(ids, 10, 'every', 0);
    const order = sequentialOrder(10);
    expect(() => fillBatch(set, order, 8, 3, new Int32Array(30), new Int32Array(30))).toThrow(RangeError);
    expect(() => fillBatch(set, order, 0, 3, new Int32Array(29), new Int32Array(30))).toThrow(/inputs holds 29/);
    expect(() => fillBatch(set, order, 0, 3, new Int32Array(30), new Int32Array(3))).toThrow(/targets holds 3/);
    expect(() => batchesPerEpoch(10, 0)).toThrow(RangeError);
  });
});
