// The Inspect view's pure helpers: the rows the text view virtualizes (line breaks kept, long lines
// wrapped), the colour scales (diverging around a middle, clamped, no colour where there is no value),
// and the SVG of coloured text (escaped).
import { describe, expect, it } from 'vitest';
import { layoutRows, rowOf } from '../../renderer/src/lib/text-rows.ts';
import { divergingScale, largestMagnitude, oneSidedScale, parseColour, unitScale } from '../../renderer/src/lib/colour-scale.ts';
import { textPicture } from '../../renderer/src/lib/picture-export.ts';

const colours = { low: '#0000ff', mid: '#ffffff', high: 'rgb(255, 0, 0)' };

describe('layoutRows', () => {
  it('ends a row after each line break (kept in the row) and wraps longer lines', () => {
    const rows = layoutRows(Array.from('ab\ncdefg\n\nh'), 3);
    expect(rows).toEqual([
      { start: 0, end: 3 }, // "ab\n"
      { start: 3, end: 6 }, // "cde" (wrapped)
      { start: 6, end: 9 }, // "fg\n"
      { start: 9, end: 10 }, // "\n"
      { start: 10, end: 11 }, // "h"
    ]);
    expect(rows.map((r) => rowOf(rows, r.start))).toEqual([0, 1, 2, 3, 4]);
    expect(rowOf(rows, 7)).toBe(2);
  });

  it('gives an empty text one empty row, and a text ending in a line break no empty last row', () => {
    expect(layoutRows([], 10)).toEqual([{ start: 0, end: 0 }]);
    expect(layoutRows(Array.from('ab\n'), 10)).toEqual([{ start: 0, end: 3 }]);
  });
});

describe('colour scales', () => {
  it('diverges from the middle colour to each end, clamps beyond them, and leaves missing values uncoloured', () => {
    const scale = divergingScale(-2, 0, 2, colours);
    expect(scale.colour(0)).toBe('rgb(255,255,255)');
    expect(scale.colour(2)).toBe('rgb(255,0,0)');
    expect(scale.colour(5)).toBe('rgb(255,0,0)');
    expect(scale.colour(-2)).toBe('rgb(0,0,255)');
    expect(scale.colour(1)).toBe('rgb(255,128,128)');
    expect(scale.colour(null)).toBe('transparent');
    expect(scale.colour(Number.NaN)).toBe('transparent');
  });

  it('centres sigmoid gates on ½ and scales the cell state by its largest magnitude', () => {
    expect(unitScale('f', 0, 1, colours)).toMatchObject({ low: 0, mid: 0.5, high: 1 });
    expect(unitScale('h', -0.3, 0.2, colours)).toMatchObject({ low: -1, mid: 0, high: 1 });
    expect(unitScale('c', -3, 1.5, colours)).toMatchObject({ low: -3, mid: 0, high: 3 });
    expect(oneSidedScale(8, colours).colour(0)).toBe('rgb(255,255,255)');
    expect(largestMagnitude([null, -4, 2, Number.POSITIVE_INFINITY])).toBe(4);
  });

  it('reads the colours CSS gives back', () => {
    expect(parseColour('#abc')).toEqual([170, 187, 204]);
    expect(parseColour(' rgb(1, 2, 3) ')).toEqual([1, 2, 3]);
    expect(parseColour('')).toEqual([136, 136, 136]);
  });
});

describe('textPicture', () => {
  it('draws a cell per character with its colour and escapes the text', () => {
    const picture = textPicture([{ chars: ['<', '&', ' '], colours: ['rgb(1,2,3)', 'transparent', 'rgb(4,5,6)'] }], { text: '#111', background: '#fff' });
    expect(picture.svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(picture.svg).toContain('>&lt;</text>');
    expect(picture.svg).toContain('>&amp;</text>');
    expect(picture.svg.match(/<rect /g)).toHaveLength(3); // the background and two coloured cells
    expect(picture.width).toBe(3 * 9 + 8);
  });
});
