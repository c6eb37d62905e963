// Big corpora (issue 9, item 4): the byte-level text functions give exactly what the string ones give,
// ids come in the smallest array the vocabulary fits, a huge epoch order is still a permutation, a
// corpus survives being cut into chunks, and training from bytes equals training from text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { CorpusAssembler, startMessages } from '../../engine/data/corpus-chunks.ts';
import { BUCKETED_ORDER_ABOVE, WindowStarts, makeWindows, shuffledOrder } from '../../engine/data/windows.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import type { StartMessage } from '../../engine/protocol.ts';
import { train, type CheckpointMessage, type ProgressMessage, type TrainJob } from '../../engine/train/trainer.ts';
import { countCodePoints, decodeUtf8Exact, leadingChars, normalizeUtf8 } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpusBytes = (name: string) => new Uint8Array(readFileSync(path.resolve(repoRoot, '../shared/corpora', name)));
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The first index where two id arrays differ (−1: none; a length difference counts). toEqual on 10⁶ items is slow. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('byte-level text functions agree with the string ones', () => {
  const samples: [string, Uint8Array][] = [
    ['kjv-1mib.txt (ASCII)', corpusBytes('kjv-1mib.txt')],
    ['tang300.txt (2,579 hanzi)', corpusBytes('tang300.txt')],
    ['emoji and accents', utf8('a😀é\r\n😀ΩΩ\u{10FFFF}z\u0000')],
  ];
  for (const [name, bytes] of samples) {
    it(`${name}: vocabulary, ids, length, opening`, () => {
      const text = decodeUtf8Exact(bytes).text;
      const vocab = Vocabulary.fromUtf8(bytes);
      expect(vocab.chars).toEqual(Vocabulary.fromText(text).chars);
      expect(firstDifference(vocab.encodeUtf8(bytes), vocab.encode(text))).toBe(-1);
      expect(countCodePoints(bytes)).toBe(Array.from(text).length);
      expect(leadingChars(bytes, 10)).toBe(Array.from(text).slice(0, 10).join(''));
    });
  }

  it('ids use 1, 2 or 4 bytes by vocabulary size', () => {
    expect(Vocabulary.fromUtf8(corpusBytes('kjv-1mib.txt')).encodeUtf8(corpusBytes('kjv-1mib.txt'))).toBeInstanceOf(Uint8Array);
    const tang = corpusBytes('tang300.txt');
    expect(Vocabulary.fromUtf8(tang).encodeUtf8(tang)).toBeInstanceOf(Uint16Array);
    // 70,000 distinct characters (past U+FFFF, so surrogates are skipped by construction).
    const wide = utf8(Array.from({ length: 70_000 }, (_, i) => String.fromCodePoint(0x10000 + i)).join(''));
    const vocab = Vocabulary.fromUtf8(wide);
    const ids = vocab.encodeUtf8(wide);
    expect(vocab.size).toBe(70_000);
    expect(ids).toBeInstanceOf(Uint32Array);
    expect(ids[69_999]).toBe(69_999);
  });

  it('unknown characters are found and refused as with text', () => {
    const vocab = Vocabulary.fromText('abc');
    expect(vocab.unknownCharsUtf8(utf8('abxcé😀x'))).toEqual(vocab.unknownChars('abxcé😀x'));
    expect(() => vocab.encodeUtf8(utf8('abz'))).toThrow('1 character is not in the model\'s vocabulary: "z" (U+007A).');
  });

  it('normalizeUtf8 is decodeUtf8Exact\'s normalize on the bytes', () => {
    for (const text of ['\uFEFFa\r\nb\r\nc\rd\n', 'x\r\n', 'plain', '\uFEFF', '\r\r\n\n']) {
      const bytes = utf8(text);
      expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(normalizeUtf8(bytes))).toBe(decodeUtf8Exact(bytes, { normalize: true }).text);
    }
    const plain = utf8('no change');
    expect(normalizeUtf8(plain)).toBe(plain);
  });
});

describe('windows of a big corpus', () => {
  it('starts are computed, not stored, and iterate as before', () => {
    const set = makeWindows(new Uint8Array(100), 10, 'next', 3);
    expect(set.starts).toBeInstanceOf(WindowStarts);
    expect(set.starts.length).toBe(Math.floor(89 / 3) + 1);
    expect(Array.from(set.starts).slice(0, 4)).toEqual([0, 3, 6, 9]);
    expect(set.starts.at(29)).toBe(87);
  });

  it('an order above the bucketed size is a permutation, drawn the same from the same seed, and reuses its array', () => {
    const count = BUCKETED_ORDER_ABOVE + 12_345;
    const order = shuffledOrder(count, new Rng(5));
    const seen = new Uint8Array(count);
    for (let i = 0; i < count; i++) seen[order[i]]++;
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(order.subarray(0, 1000).some((v, i) => v !== i)).toBe(true);
    const first = order.slice(0, 64);
    const again = shuffledOrder(count, new Rng(5), order);
    expect(again).toBe(order); // shuffled in place: two orders of a big corpus would not fit
    expect(again.slice(0, 64)).toEqual(first);
  });
});

describe('a corpus in chunks', () => {
  const job = (bytes: Uint8Array): StartMessage => ({ type: 'start', hyper: DEFAULT_HYPERPARAMETERS, corpusBytes: bytes });

  it('a small corpus goes in the start message; a big one in chunks that reassemble exactly', () => {
    const small = utf8('hello');
    expect(startMessages(job(small), 8)).toEqual([job(small)]);
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const messages = startMessages(job(bytes), 16);
    expect(messages).toHaveLength(8); // 7 chunks (6 × 16 + 4) and the start message
    const start = messages.at(-1) as StartMessage;
    expect(start.corpusBytes).toBeUndefined();
    expect(start.corpusChunked).toBe(100);
    const assembler = new CorpusAssembler();
    for (const m of messages.slice(0, -1)) expect(assembler.add(m)).toBeNull();
    expect(assembler.take(100)).toEqual(bytes);
  });

  it('bad or missing chunks are sentences', () => {
    const assembler = new CorpusAssembler();
    expect(assembler.add({ type: 'corpus-chunk', offset: 0, total: 10, bytes: 'abc' })).toMatch(/needs a whole-number offset and total and its bytes/);
    expect(assembler.add({ type: 'corpus-chunk', offset: 8, total: 10, bytes: new Uint8Array(4) })).toBe(
      'A corpus chunk of 4 bytes at offset 8 runs past the corpus\'s 10 bytes.',
    );
    expect(assembler.add({ type: 'corpus-chunk', offset: 0, total: 10, bytes: new Uint8Array(4) })).toBeNull();
    expect(assembler.add({ type: 'corpus-chunk', offset: 4, total: 11, bytes: new Uint8Array(4) })).toMatch(/has 11 bytes; earlier chunks said 10/);
    expect(() => assembler.take(10)).toThrow('The start message announced a corpus of 10 bytes, but 4 arrived.');
  });
});

describe('training from bytes', () => {
  const hyper: Hyperparameters = {
    ...DEFAULT_HYPERPARAMETERS, hidden: 16, embed: 8, window: 8, batch: 16, steps: 12, valFraction: 0.2, evalEvery: 6, checkpointEvery: 6, seed: 3,
  };
  const run = async (job: TrainJob) => {
    const progress: ProgressMessage[] = [];
    const checkpoints: CheckpointMessage[] = [];
    const result = await train(job, { onProgress: (m) => progress.push(m), onCheckpoint: (m) => checkpoints.push(m) }, undefined, { kernelHost: nodeKernelHost });
    return { result, losses: progress.map((p) => [p.trainLoss, p.valLoss]), checkpoints };
  };

  it('gives the same run as the text, and lets go of the bytes', async () => {
    const text = decodeUtf8Exact(corpusBytes('tang300.txt')).text.slice(0, 4000);
    const sample = { prompt: '春', length: 20, temperature: 0.8 };
    const fromText = await run({ hyper, corpusText: text, sample });
    const job: TrainJob = { hyper, corpusBytes: utf8(text), sample };
    const fromBytes = await run(job);
    expect(fromBytes.result.status).toBe('done');
    expect(fromBytes.losses).toEqual(fromText.losses);
    expect(fromBytes.checkpoints.map((c) => c.sample)).toEqual(fromText.checkpoints.map((c) => c.sample));
    expect(fromBytes.result.vocab!.chars).toEqual(fromText.result.vocab!.chars);
    expect(job.corpusBytes).toBeUndefined();
  });

  it('refuses bytes that are not UTF-8, and a corpus given twice', async () => {
    const bad = await run({ hyper, corpusBytes: Uint8Array.from([0x61, 0xff, 0x62]) });
    expect(bad.result.message).toBe('Invalid UTF-8 at byte 1: byte 0xFF never occurs in UTF-8.');
    const twice = await run({ hyper, corpusBytes: utf8('abc'), corpusText: 'abc' });
    expect(twice.result.message).toBe('The start message has the corpus twice; give "corpusText" or "corpusBytes", not both.');
  });
});
