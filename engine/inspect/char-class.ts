/**
 * Where the model is surprised, by kind of character: the loss (bits) at each position summed per
 * class. Classes: letter, digit, space (any white space, line breaks included), punctuation (Unicode
 * P and S), CJK (Han, kana, Hangul), other; and, for letters and digits, start of a word (the previous
 * character is not a letter or digit) or inside one. A position belongs to one of the first six and,
 * when in a word, to one of the last two. Position 0 has no prediction and is left out.
 */
export const CHAR_CLASSES = ['letter', 'digit', 'space', 'punctuation', 'cjk', 'other', 'word-start', 'word-inside'] as const;
export type CharClass = (typeof CHAR_CLASSES)[number];

export interface ClassTotal {
  class: CharClass;
  count: number;
  bits: number;
  /** bits / count (NaN when count is 0). */
  bitsPerChar: number;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;
const SPACE = /\s/u;
const PUNCT = /[\p{P}\p{S}]/u;

export function charClass(ch: string): CharClass {
  if (CJK.test(ch)) return 'cjk';
  if (LETTER.test(ch)) return 'letter';
  if (DIGIT.test(ch)) return 'digit';
  if (SPACE.test(ch)) return 'space';
  if (PUNCT.test(ch)) return 'punctuation';
  return 'other';
}

const inWord = (c: CharClass) => c === 'letter' || c === 'digit';

/** Totals per class of the loss at positions 1..N−1; `chars[t]` is the character at position t. */
export function classTotals(chars: readonly string[], lossBits: Float32Array): ClassTotal[] {
  const count = new Map<CharClass, number>(CHAR_CLASSES.map((c) => [c, 0]));
  const bits = new Map<CharClass, number>(CHAR_CLASSES.map((c) => [c, 0]));
  const add = (c: CharClass, b: number) => {
    count.set(c, count.get(c)! + 1);
    bits.set(c, bits.get(c)! + b);
  };
  const classOf = new Map<string, CharClass>();
  const cls = (ch: string) => {
    let c = classOf.get(ch);
    if (c === undefined) classOf.set(ch, (c = charClass(ch)));
    return c;
  };
  for (let t = 1; t < chars.length; t++) {
    const c = cls(chars[t]);
    const b = lossBits[t];
    add(c, b);
    if (inWord(c)) add(inWord(cls(chars[t - 1])) ? 'word-inside' : 'word-start', b);
  }
  return CHAR_CLASSES.map((c) => ({ class: c, count: count.get(c)!, bits: bits.get(c)!, bitsPerChar: count.get(c)! > 0 ? bits.get(c)! / count.get(c)! : NaN }));
}
