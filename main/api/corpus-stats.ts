/**
 * The Corpora view's statistics, counted on the stored UTF-8 bytes (never decoded to a string, so a
 * corpus of any size has them): characters, their frequencies, singletons, windows, BOM and CRLF.
 */
import { countWindows } from '../../engine/data/windows.ts';
import { forEachCodePointUtf8 } from '../../engine/text/utf8.ts';
import type { CorpusStats } from './contract.ts';

const CR = 0x0d;
const LF = 0x0a;

export function statsOfUtf8(bytes: Uint8Array, window: number, objective: 'next' | 'every'): CorpusStats {
  const counts = new Float64Array(0x110000); // one count per code point: no Map entry per character read
  let chars = 0;
  forEachCodePointUtf8(bytes, (cp) => {
    counts[cp]++;
    chars++;
  });
  const frequencies: { char: string; count: number }[] = [];
  for (let cp = 0; cp < counts.length; cp++) if (counts[cp] > 0) frequencies.push({ char: String.fromCodePoint(cp), count: counts[cp] });
  // Most frequent first; ties by code point (the list is built in code point order and the sort is stable).
  frequencies.sort((a, b) => b.count - a.count);
  let crlf = 0;
  for (let i = bytes.indexOf(CR); i !== -1 && i + 1 < bytes.length; i = bytes.indexOf(CR, i + 1)) if (bytes[i + 1] === LF) crlf++;
  return {
    chars,
    distinct: frequencies.length,
    frequencies,
    singletons: frequencies.filter((f) => f.count === 1).map((f) => f.char),
    windows: countWindows(chars, window, objective, 0),
    hasBom: bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf,
    crlf,
  };
}
