/**
 * Byte-exact UTF-8 decoding of a corpus. Invalid input is refused with the byte offset of the bad
 * sequence (a replacement character would quietly become a training character). A byte-order mark and
 * CRLF line ends are reported and kept, because they are part of the text a model would learn; only
 * `normalize` removes them (BOM stripped, CRLF → LF; a lone CR stays).
 * Not a general text loader: no other encodings, no guessing.
 *
 * Validity follows RFC 3629 / the Unicode Standard table 3-7: a sequence is one of
 *   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC,EE..EF (80..BF)² | ED 80..9F 80..BF
 *   | F0 90..BF (80..BF)² | F1..F3 (80..BF)³ | F4 80..8F (80..BF)²
 * which rules out overlong forms, surrogates (U+D800..DFFF) and code points above U+10FFFF.
 */
import { TextError, groupDigits } from './errors.ts';

export interface DecodedText {
  /** The text; with `normalize` the BOM is gone and CRLF is LF. */
  text: string;
  /** The bytes started with a UTF-8 byte-order mark (EF BB BF), whether or not it was stripped. */
  hasBom: boolean;
  /** Count of CR LF pairs in the bytes, whether or not they were normalized. */
  crlf: number;
}

const BOM = [0xef, 0xbb, 0xbf];
// Validated input only, so `fatal` never fires; ignoreBOM keeps a BOM as U+FEFF instead of dropping it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8Exact(bytes: Uint8Array, opts: { normalize?: boolean } = {}): DecodedText {
  validateUtf8(bytes);
  const hasBom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  let crlf = 0;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] === 0x0a && bytes[i - 1] === 0x0d) crlf++;

  let text = decoder.decode(bytes);
  if (opts.normalize) {
    if (hasBom) text = text.slice(1);
    if (crlf > 0) text = text.replace(/\r\n/g, '\n');
  }
  return { text, hasBom, crlf };
}

/**
 * The number of characters (code points) in valid UTF-8: every byte that is not a continuation byte
 * starts one. Counts the bytes where they are, so a big corpus needs no decoded copy.
 */
export function countCodePoints(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] & 0xc0) !== 0x80) n++;
  return n;
}

/**
 * Calls `fn` with each code point of valid UTF-8 bytes (validate first: this decodes without checking).
 * Works on the bytes where they are, so a corpus is never decoded into a string to be measured or encoded.
 */
export function forEachCodePointUtf8(bytes: Uint8Array, fn: (cp: number) => void): void {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      fn(b);
      i++;
    } else if (b < 0xe0) {
      fn(((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
    } else if (b < 0xf0) {
      fn(((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f));
      i += 3;
    } else {
      fn(((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f));
      i += 4;
    }
  }
}

/** The first `count` characters of valid UTF-8 bytes, decoding only those (a corpus's opening, for a prompt). */
export function leadingChars(bytes: Uint8Array, count: number): string {
  let end = 0;
  for (let seen = 0; end < bytes.length; end++) {
    if ((bytes[end] & 0xc0) !== 0x80 && seen++ === count) break;
  }
  return decoder.decode(bytes.subarray(0, end));
}

/**
 * `normalize` of `decodeUtf8Exact` done on the bytes (BOM stripped, CRLF → LF; a lone CR stays), for
 * texts too big to decode. Returns the input itself when there is nothing to change.
 */
export function normalizeUtf8(bytes: Uint8Array): Uint8Array {
  const hasBom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  const from = hasBom ? 3 : 0;
  let crlf = 0;
  for (let i = from + 1; i < bytes.length; i++) if (bytes[i] === 0x0a && bytes[i - 1] === 0x0d) crlf++;
  if (!hasBom && crlf === 0) return bytes;
  const out = new Uint8Array(bytes.length - from - crlf);
  let n = 0;
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) continue; // the LF that follows is kept
    out[n++] = bytes[i];
  }
  return out;
}

/** Throws a TextError at the first invalid sequence; returns when every byte is valid UTF-8. */
export function validateUtf8(bytes: Uint8Array): void {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    let length = 0;
    // Allowed range of the second byte; later continuation bytes are always 80..BF.
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0xc0) fail(i, `unexpected continuation byte ${hex(lead)}`);
    else if (lead < 0xc2) fail(i, `overlong encoding (lead byte ${hex(lead)} can only encode U+0000..U+007F, which take one byte)`);
    else if (lead < 0xe0) length = 2;
    else if (lead < 0xf0) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
    } else if (lead < 0xf5) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
    } else fail(i, `byte ${hex(lead)} never occurs in UTF-8`);

    // Bad bytes inside the available part are named before a missing tail, which is only "truncated".
    if (i + 1 < n) {
      const second = bytes[i + 1];
      if (second < 0x80 || second > 0xbf) fail(i, `lead byte ${hex(lead)} is followed by ${hex(second)}, which is not a continuation byte`);
      if (second < low || second > high) {
        const run = hexRun(bytes, i, Math.min(length, n - i));
        if (lead === 0xe0 || lead === 0xf0) fail(i, `overlong encoding ${run}`);
        if (lead === 0xed) fail(i, `${run} encodes a UTF-16 surrogate (U+D800..U+DFFF), which is not a character`);
        fail(i, `${run} encodes a code point above U+10FFFF`);
      }
    }
    for (let k = 2; k < length && i + k < n; k++) {
      const b = bytes[i + k];
      if (b < 0x80 || b > 0xbf) fail(i, `lead byte ${hex(lead)} starts a ${length}-byte character but byte ${k + 1} is ${hex(b)}, not a continuation byte`);
    }
    if (i + length > n) {
      fail(i, `truncated sequence: lead byte ${hex(lead)} starts a ${length}-byte character but the data ends after ${n - i} byte${n - i === 1 ? '' : 's'}`);
    }
    i += length;
  }
}

function fail(offset: number, what: string): never {
  throw new TextError(`Invalid UTF-8 at byte ${groupDigits(offset)}: ${what}.`, offset);
}

function hex(b: number): string {
  return `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

function hexRun(bytes: Uint8Array, from: number, length: number): string {
  return Array.from(bytes.subarray(from, from + length), hex).join(' ');
}
