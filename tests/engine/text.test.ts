// Byte-exact UTF-8 decoding and the code-point vocabulary.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/core/rng.ts';
import { TextError, UnknownCharactersError, VocabularyError } from '../../engine/text/errors.ts';
import { decodeUtf8Exact } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = (name: string) => new Uint8Array(readFileSync(path.resolve(repoRoot, '../shared/corpora', name)));
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function decodeError(bytes: number[] | Uint8Array): TextError {
  try {
    decodeUtf8Exact(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (err) {
    expect(err).toBeInstanceOf(TextError);
    return err as TextError;
  }
  throw new Error('expected a TextError');
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

describe('decodeUtf8Exact', () => {
  it('decodes every code point length exactly', () => {
    const text = 'a é 中 😀 \u{10FFFF} \u0000';
    const decoded = decodeUtf8Exact(new TextEncoder().encode(text));
    expect(decoded).toEqual({ text, hasBom: false, crlf: 0 });
  });

  it('names the byte offset and the problem of each kind of invalid sequence', () => {
    const cases: [number[], number, RegExp][] = [
      [[0x41, 0x80], 1, /^Invalid UTF-8 at byte 1: unexpected continuation byte 0x80\.$/],
      [[0x41, 0x42, 0xff], 2, /byte 0xFF never occurs in UTF-8/],
      [[0xf5, 0x80, 0x80, 0x80], 0, /byte 0xF5 never occurs/],
      [[...ascii('ab'), 0xe4, 0xb8], 2, /truncated sequence: lead byte 0xE4 starts a 3-byte character but the data ends after 2 bytes/],
      [[0xf0, 0x9f, 0x98], 0, /truncated/],
      [[0xc0, 0xaf], 0, /overlong encoding/],
      [[0xe0, 0x80, 0xaf], 0, /overlong encoding 0xE0 0x80 0xAF/],
      [[0xf0, 0x80, 0x80, 0xaf], 0, /overlong encoding/],
      [[0x20, 0xed, 0xa0, 0x80], 1, /UTF-16 surrogate/],
      [[0xf4, 0x90, 0x80, 0x80], 0, /above U\+10FFFF/],
      [[0xe4, 0x41, 0x42], 0, /lead byte 0xE4 is followed by 0x41, which is not a continuation byte/],
      [[0xe4, 0xb8, 0x41], 0, /byte 3 is 0x41, not a continuation byte/],
    ];
    for (const [bytes, offset, message] of cases) {
      const err = decodeError(bytes);
      expect(err.offset, JSON.stringify(bytes)).toBe(offset);
      expect(err.code).toBe('invalid-utf8');
      expect(err.message).toMatch(/^Invalid UTF-8 at byte /);
      expect(err.message).toMatch(message);
    }
  });

  it('groups the digits of large offsets', () => {
    const bytes = new Uint8Array(1235).fill(0x61);
    bytes[1234] = 0x80;
    expect(decodeError(bytes).message).toBe('Invalid UTF-8 at byte 1,234: unexpected continuation byte 0x80.');
  });

  it('accepts and refuses exactly what a fatal TextDecoder does (random bytes)', () => {
    const rng = new Rng(7);
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
    const oracle = new TextDecoder('utf-8', { fatal: true });
    let valid = 0;
    const disagreements: string[] = [];
    for (let trial = 0; trial < 5000; trial++) {
      const bytes = new Uint8Array(1 + rng.int(6));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.uniform() < 0.7 ? interesting[rng.int(interesting.length)] : rng.int(256);
      let expected: string | null;
      try {
        expected = oracle.decode(bytes);
      } catch {
        expected = null;
      }
      let ours: string | null;
      try {
        ours = decodeUtf8Exact(bytes).text;
        if (ours.startsWith('\uFEFF')) ours = ours.slice(1); // the oracle strips a BOM; ours keeps it
      } catch (err) {
        if (!(err instanceof TextError)) throw err;
        ours = null;
      }
      if (ours !== expected) disagreements.push(Array.from(bytes, (b) => b.toString(16)).join(' '));
      if (expected !== null) valid++;
    }
    expect(disagreements).toEqual([]);
    expect(valid).toBeGreaterThan(100); // both outcomes were exercised
  });

  it('reports a BOM and CRLF, keeps them, and removes them only when normalizing', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...ascii('a\r\nb\r\nc\rd\n')]);
    expect(decodeUtf8Exact(bytes)).toEqual({ text: '\uFEFFa\r\nb\r\nc\rd\n', hasBom: true, crlf: 2 });
    expect(decodeUtf8Exact(bytes, { normalize: true })).toEqual({ text: 'a\nb\nc\rd\n', hasBom: true, crlf: 2 });
    expect(decodeUtf8Exact(new Uint8Array(ascii('x\r\n')), { normalize: true })).toEqual({ text: 'x\n', hasBom: false, crlf: 1 });
  });

  it('decodes the shared corpora exactly', () => {
    const tang = corpus('tang300.txt');
    const decoded = decodeUtf8Exact(tang);
    expect(Array.from(decoded.text).length).toBe(29265);
    expect(Buffer.compare(new TextEncoder().encode(decoded.text), tang)).toBe(0); // (toEqual on 83 kB is slow)
    const kjv = decodeUtf8Exact(corpus('kjv-1mib.txt'));
    expect(kjv.text.length).toBe(1048576);
    expect(kjv.hasBom).toBe(false);
  });
});

describe('Vocabulary', () => {
  const sentence = decodeUtf8Exact(corpus('seed-hello-rnn.txt')).text;

  it('builds the reference sentence vocabulary: 28 characters, sorted, encode/decode round trip', () => {
    const vocab = Vocabulary.fromText(sentence);
    expect(vocab.size).toBe(28);
    const codes = vocab.chars.map((c) => c.codePointAt(0)!);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    const ids = vocab.encode(sentence);
    expect(ids.length).toBe(102);
    expect(vocab.decode(ids)).toBe(sentence);
    expect(vocab.chars[ids[0]]).toBe('H');
    expect(vocab.idOf(' ')).toBe(0); // the smallest code point in the sentence
    expect(vocab.has('z')).toBe(false);
  });

  it('names unknown characters readably, each once, in order of appearance', () => {
    const vocab = Vocabulary.fromText(sentence);
    let caught: unknown;
    try {
      vocab.encode('Hello é\nRNN é');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownCharactersError);
    const err = caught as UnknownCharactersError;
    expect(err.code).toBe('unknown-chars');
    expect(err.chars).toEqual(['é', '\n']);
    expect(err.message).toBe('2 characters are not in the model\'s vocabulary: "é" (U+00E9), "\\n" (U+000A).');
    expect(vocab.unknownChars('zz')).toEqual(['z']);
    expect(() => vocab.encode('z')).toThrow('1 character is not in the model\'s vocabulary: "z" (U+007A).');
  });

  it('orders by code point, not by UTF-16 unit, and counts code points', () => {
    const text = '😀！a😀';
    const vocab = Vocabulary.fromText(text);
    expect(vocab.chars).toEqual(['a', '！', '😀']);
    // The default JS sort would disagree (U+1F600's high surrogate 0xD83D < 0xFF01):
    expect([...vocab.chars].sort()).not.toEqual(vocab.chars);
    expect(Array.from(vocab.encode(text))).toEqual([2, 1, 0, 2]);
  });

  it('keeps the order of an imported vocabulary and validates its entries', () => {
    const vocab = Vocabulary.fromChars(['b', 'a', '😀']);
    expect(vocab.chars).toEqual(['b', 'a', '😀']);
    expect(Array.from(vocab.encode('ab😀'))).toEqual([1, 0, 2]);
    expect(vocab.toJSON()).toEqual(['b', 'a', '😀']);
    expect(JSON.stringify(vocab)).toBe('["b","a","😀"]');
    expect(() => Vocabulary.fromChars(['a', 'b', 'a'])).toThrow('Vocabulary entries 0 and 2 are both "a" (U+0061); each character may appear once.');
    expect(() => Vocabulary.fromChars(['a', 'ab'])).toThrow(/entry 1 is "ab"; each entry must be exactly one character/);
    expect(() => Vocabulary.fromChars([''])).toThrow(VocabularyError);
  });

  it('refuses ids outside the vocabulary when decoding', () => {
    const vocab = Vocabulary.fromChars(['a', 'b']);
    expect(() => vocab.decode([0, 2])).toThrow('Token id 2 is outside the vocabulary of 2 characters.');
    expect(() => vocab.decode([-1])).toThrow(VocabularyError);
  });

  it("builds tang300's 2,579-character vocabulary in code-point order", () => {
    const text = decodeUtf8Exact(corpus('tang300.txt')).text;
    const vocab = Vocabulary.fromText(text);
    expect(vocab.size).toBe(2579);
    // Independent expectation: distinct code points via the string iterator, sorted numerically.
    const expected = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    expect(vocab.chars).toEqual(expected);
    expect(vocab.decode(vocab.encode(text))).toBe(text);
  });

  it("matches Python's sorted(set(text)) on tang300", () => {
    const file = path.resolve(repoRoot, '../shared/corpora/tang300.txt');
    const script = 'import json,sys\nt=open(sys.argv[1],encoding="utf-8",newline="").read()\nprint(json.dumps(sorted(set(t))))';
    const run = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.error || run.status !== 0) {
      throw new Error(`This test needs python3 (apt-get install -y python3): ${run.error?.message ?? run.stderr}`);
    }
    const text = decodeUtf8Exact(corpus('tang300.txt')).text;
    expect(Vocabulary.fromText(text).chars).toEqual(JSON.parse(run.stdout));
  });
});
