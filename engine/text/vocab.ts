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
import { countCodePoints, forEachCodePointUtf8 } from './utf8.ts';

/** A corpus as ids, in the smallest array its vocabulary fits (1, 2 or 4 bytes per character). */
export type TokenIds = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** An id array of `length` for a vocabulary of `size`: Uint8 up to 256 characters, Uint16 up to 65,536, else Uint32. */
export function idArrayFor(size: number, length: number): Uint8Array | Uint16Array | Uint32Array {
  if (size <= 0x100) return new Uint8Array(length);
  if (size <= 0x10000) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** One past the highest Unicode code point. */
const CODE_POINTS = 0x110000;

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

  /** Every distinct code point of valid UTF-8 bytes, sorted by code point: `fromText` without decoding the text. */
  static fromUtf8(bytes: Uint8Array): Vocabulary {
    const seen = new Uint8Array(CODE_POINTS);
    forEachCodePointUtf8(bytes, (cp) => (seen[cp] = 1));
    const chars: string[] = [];
    for (let cp = 0; cp < CODE_POINTS; cp++) if (seen[cp]) chars.push(String.fromCodePoint(cp));
    return new Vocabulary(chars);
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

  /**
   * One id per code point of valid UTF-8 bytes, in the smallest array the vocabulary fits (see
   * `idArrayFor`); throws UnknownCharactersError like `encode`. Never decodes the text.
   */
  encodeUtf8(bytes: Uint8Array): Uint8Array | Uint16Array | Uint32Array {
    const table = this.idTable();
    const out = idArrayFor(this.size, countCodePoints(bytes));
    let unknown = false;
    // The decoding of forEachCodePointUtf8, inlined: this loop runs once per character of the corpus.
    const end = bytes.length;
    for (let i = 0, n = 0; i < end; n++) {
      const b = bytes[i];
      let cp: number;
      if (b < 0x80) {
        cp = b;
        i++;
      } else if (b < 0xe0) {
        cp = ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
        i += 2;
      } else if (b < 0xf0) {
        cp = ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
        i += 3;
      } else {
        cp = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
        i += 4;
      }
      const id = cp < table.length ? table[cp] : -1;
      if (id < 0) unknown = true;
      else out[n] = id;
    }
    if (unknown) {
      const chars = this.unknownCharsUtf8(bytes);
      throw new UnknownCharactersError(describeUnknown(chars), chars);
    }
    return out;
  }

  /** `unknownChars` of valid UTF-8 bytes. */
  unknownCharsUtf8(bytes: Uint8Array): string[] {
    const table = this.idTable();
    const unknown = new Set<number>();
    forEachCodePointUtf8(bytes, (cp) => {
      if (cp >= table.length || table[cp] < 0) unknown.add(cp);
    });
    return Array.from(unknown, (cp) => String.fromCodePoint(cp));
  }

  /** code point → id (−1 where none), as a flat array: a Map lookup per character is slow over 10⁸ characters. */
  private idTable(): Int32Array {
    let max = 0;
    for (const cp of this.ids.keys()) max = Math.max(max, cp);
    const table = new Int32Array(max + 1).fill(-1);
    for (const [cp, id] of this.ids) table[cp] = id;
    return table;
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
