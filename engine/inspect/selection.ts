/**
 * Selection search, as in LSTMVis (Strobelt et al. 2016): select a span of the text and a threshold θ;
 * the units that are on (value > θ) at every position of the span and off (≤ θ) at the `margin`
 * positions on either side of it form a set; the other places where every unit of that set is on are
 * the matches, as maximal runs of positions, longest first.
 */
import { unitName, type UnitRef } from './rank.ts';
import type { InspectTrace } from './trace.ts';

export interface SelectionQuery {
  /** The selected span: positions start (inclusive) to end (exclusive). */
  start: number;
  end: number;
  threshold: number;
  /** Positions before and after the span that must be off (default 1; fewer at the text's ends). */
  margin?: number;
  /** Which kind of unit (default 'h'). */
  kind?: string;
  /** Only this layer (default: every layer). */
  layer?: number;
  /** Matches shorter than this are left out (default 1). */
  minLength?: number;
  /** At most this many matches (default 100). */
  limit?: number;
}

export interface SelectionResult {
  units: (UnitRef & { name: string })[];
  /** Runs of positions [start, end) where every selected unit is on; `selected` marks the span itself. */
  matches: { start: number; end: number; selected: boolean }[];
  /** Matches found in all, before `limit`. */
  total: number;
}

export function selectionSearch(trace: InspectTrace, query: SelectionQuery): SelectionResult {
  const N = trace.length;
  const { start, end, threshold } = query;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > N || start >= end) {
    throw new RangeError(`The selection must be a span of positions within 0 to ${N} with start < end (got ${start} to ${end}).`);
  }
  if (!Number.isFinite(threshold)) throw new RangeError(`The threshold must be a number (got ${threshold}).`);
  const margin = Math.max(0, Math.floor(query.margin ?? 1));
  const kind = query.kind ?? 'h';
  const k = trace.kinds.indexOf(kind);
  if (k < 0) throw new RangeError(`A ${trace.cell.toUpperCase()} has no "${kind}" (it has ${trace.kinds.join(', ')}).`);
  if (query.layer !== undefined && !(Number.isInteger(query.layer) && query.layer >= 0 && query.layer < trace.layers)) {
    throw new RangeError(`Layer ${query.layer} does not exist: the model has ${trace.layers} (0 to ${trace.layers - 1}).`);
  }
  const layers = query.layer !== undefined ? [query.layer] : Array.from({ length: trace.layers }, (_, l) => l);
  const units: SelectionResult['units'] = [];
  const chosen: Float32Array[] = [];
  for (const layer of layers) {
    const block = trace.values[layer * trace.kinds.length + k];
    for (let unit = 0; unit < trace.hidden; unit++) {
      const v = block.subarray(unit * N, (unit + 1) * N);
      let fits = true;
      for (let t = start; t < end && fits; t++) fits = v[t] > threshold;
      for (let t = Math.max(0, start - margin); t < start && fits; t++) fits = v[t] <= threshold;
      for (let t = end; t < Math.min(N, end + margin) && fits; t++) fits = v[t] <= threshold;
      if (fits) {
        units.push({ layer, kind, unit, name: unitName({ layer, kind, unit }) });
        chosen.push(v);
      }
    }
  }
  const matches: SelectionResult['matches'] = [];
  if (chosen.length > 0) {
    const minLength = Math.max(1, Math.floor(query.minLength ?? 1));
    let runStart = -1;
    for (let t = 0; t <= N; t++) {
      const on = t < N && chosen.every((v) => v[t] > threshold);
      if (on && runStart < 0) runStart = t;
      if (!on && runStart >= 0) {
        if (t - runStart >= minLength) matches.push({ start: runStart, end: t, selected: runStart <= start && t >= end });
        runStart = -1;
      }
    }
  }
  matches.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  return { units, matches: matches.slice(0, Math.max(0, Math.floor(query.limit ?? 100))), total: matches.length };
}
