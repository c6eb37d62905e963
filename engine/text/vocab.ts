/**
 * The character vocabulary: the id ↔ character mapping of a model. Characters are Unicode code points,
 * not UTF-16 units, so "😀" is one character and a Chinese corpus gets one id per hanzi.
 * `fromText` orders them by code point, exactly like Python's `sorted(set(text))` in the reference
 * script (JS's default string sort compares UTF-16 units and would put U+1F600 before U+FF01).
 * `fromChars` keeps the given order as it is: for an imported model that order IS the id mapping,
 * so re-sorting it would silently scramble every prediction.
 * Not a tokenizer: no normalization, no unknown-token fallback (unknown characters are an error).
 */
import { UnknownCharactersError, VocabularyError, describeChar, groupDigits } from './errors.ts';

/** Unknown characters listed in full in an error message before "and N more". */
const MAX_LISTED = 10;

export class Vocabulary {
  /** id → character (one code point each). */
  readonly chars: string[];
  readonly size: number;
  /** code point → id. */
  private readonly ids: Map<number, number>;

  private constructor(chars: string[]) {
    this.chars = chars;
    this.size = chars.length;
    this.ids = new Map(chars.map((ch, id) => [ch.codePointAt(0)!, id]));
  }

  /** Every distinct code point of `text`, sorted by code point. */
  static fromText(text: string): Vocabulary {
    const seen = new Set<number>();
    forEachCodePoint(text, (cp) => seen.add(cp));
    const sorted = Array.from(seen).sort((a, b) => a - b);
    return new Vocabulary(sorted.map((cp) => String.fromCodePoint(cp)));
  }

  /** An existing id mapping (e.g. a checkpoint's). Each entry must be one code point; no duplicates; order kept. */
  static fromChars(chars: readonly string[]): Vocabulary {
    const seen = new Map<string, number>();
    chars.forEach((ch, id) => {
      if (typeof ch !== 'string' || ch.length === 0 || String.fromCodePoint(ch.codePointAt(0)!) !== ch) {
        throw new VocabularyError(
          `Vocabulary entry ${id} is ${JSON.stringify(ch)}; each entry must be exactly one character (one Unicode code point).`,
        );
      }
      const earlier = seen.get(ch);
      if (earlier !== undefined) {
        throw new VocabularyError(`Vocabulary entries ${earlier} and ${id} are both ${describeChar(ch)}; each character may appear once.`);
      }
      seen.set(ch, id);
    });
    return new Vocabulary([...chars]);
  }

  has(ch: string): boolean {
    return this.idOf(ch) >= 0;
  }

  /** The id of one character, or -1. */
  idOf(ch: string): number {
    if (ch.length === 0 || String.fromCodePoint(ch.codePointAt(0)!) !== ch) return -1;
    return this.ids.get(ch.codePointAt(0)!) ?? -1;
  }

  /** One id per code point of `text`; throws UnknownCharactersError naming every unknown character. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // ≥ the code-point count
    let n = 0;
    let unknown = false;
    forEachCodePoint(text, (cp) => {
      const id = this.ids.get(cp);
      if (id === undefined) unknown = true;
      else out[n++] = id;
    });
    if (unknown) {
      const chars = this.unknownChars(text);
      throw new UnknownCharactersError(describeUnknown(chars), chars);
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** The characters of `text` this vocabulary lacks, each once, in order of first appearance. */
  unknownChars(text: string): string[] {
    const unknown = new Set<number>();
    forEachCodePoint(text, (cp) => {
      if (!this.ids.has(cp)) unknown.add(cp);
    });
    return Array.from(unknown, (cp) => String.fromCodePoint(cp));
  }

  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const ch = this.chars[id];
      if (ch === undefined || !Number.isInteger(id)) {
        throw new VocabularyError(`Token id ${id} is outside the vocabulary of ${groupDigits(this.size)} characters.`);
      }
      parts[i] = ch;
    }
    return parts.join('');
  }

  /** The id order as a plain array (what checkpoints store). */
  toJSON(): string[] {
    return [...this.chars];
  }
}

/** Calls `fn` with each code point; a lone surrogate counts as its own code point (as in Python). */
function forEachCodePoint(text: string, fn: (cp: number) => void): void {
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    fn(cp);
  }
}

function describeUnknown(chars: string[]): string {
  const n = chars.length;
  const listed = chars.slice(0, MAX_LISTED).map(describeChar).join(', ');
  const more = n > MAX_LISTED ? `, and ${groupDigits(n - MAX_LISTED)} more` : '';
  return `${groupDigits(n)} character${n === 1 ? ' is' : 's are'} not in the model's vocabulary: ${listed}${more}.`;
}
