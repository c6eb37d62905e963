/**
 * Colour scales for the Inspect view: a diverging scale (low, middle, high, each end its own hue) and a
 * one-sided one for losses. The three colours are CSS variables read from the view's element, so the
 * same code draws both themes and the exported pictures carry the colours on screen.
 */

export interface ScaleColours {
  low: string;
  mid: string;
  high: string;
}

export interface ColourScale {
  /** Values at the low end, the middle and the high end (a one-sided scale has mid = low). */
  low: number;
  mid: number;
  high: number;
  colour(value: number | null): string;
}

type Rgb = [number, number, number];

/** "#rrggbb", "#rgb" or "rgb(r, g, b)" → [r, g, b]; grey when unreadable (a missing variable). */
export function parseColour(text: string): Rgb {
  const s = text.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s);
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].replace(/./g, (c) => c + c) : hex[1];
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(s);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  return [136, 136, 136];
}

function mix(a: Rgb, b: Rgb, share: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * share));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** low ↔ mid ↔ high; values beyond the ends take the end's colour; null (no value) is transparent. */
export function divergingScale(low: number, mid: number, high: number, colours: ScaleColours): ColourScale {
  const lo = parseColour(colours.low);
  const mi = parseColour(colours.mid);
  const hi = parseColour(colours.high);
  return {
    low, mid, high,
    colour(value) {
      if (value === null || !Number.isFinite(value)) return 'transparent';
      if (value >= mid) return mix(mi, hi, high > mid ? Math.min(1, (value - mid) / (high - mid)) : 0);
      return mix(mi, lo, mid > low ? Math.min(1, (mid - value) / (mid - low)) : 0);
    },
  };
}

/** 0 (the middle colour) to high (the high colour), for losses in bits. */
export function oneSidedScale(high: number, colours: ScaleColours): ColourScale {
  const scale = divergingScale(0, 0, high, colours);
  return { ...scale, low: 0 };
}

/** The largest |v| among finite values (at least `floor`, so an all-zero series still has a scale). */
export function largestMagnitude(values: readonly (number | null)[], floor = 1e-6): number {
  let max = floor;
  for (const v of values) if (v !== null && Number.isFinite(v) && Math.abs(v) > max) max = Math.abs(v);
  return max;
}

/** Sigmoid gates live in [0, 1] (centred on ½); tanh outputs and h in [−1, 1]; the cell state is unbounded. */
export const SIGMOID_KINDS = new Set(['i', 'f', 'o', 'r', 'z']);

/** The scale for a unit's values: fixed by its kind, or (the cell state) by its largest magnitude over the text. */
export function unitScale(kind: string, min: number, max: number, colours: ScaleColours): ColourScale {
  if (SIGMOID_KINDS.has(kind)) return divergingScale(0, 0.5, 1, colours);
  if (kind === 'c') {
    const bound = Math.max(1e-6, Math.abs(min), Math.abs(max));
    return divergingScale(-bound, 0, bound, colours);
  }
  return divergingScale(-1, 0, 1, colours);
}
