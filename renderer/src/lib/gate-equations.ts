/**
 * The cell's equations with the numbers of one character and one unit put in, from a gate trace
 * (TraceResult: per gate, characters × units). The trace starts from a zero state, so at the first
 * character c_{t−1} = h_{t−1} = 0. Only what the trace holds is shown: the weighted sums inside σ and
 * tanh are not traced, so a tanh's argument is recovered as atanh of its output.
 *
 *   LSTM  c_t = f·c_{t−1} + i·g          h_t = o·tanh(c_t)
 *   GRU   n_t = tanh(W_in x + b_in + r·(W_hn h_{t−1} + b_hn))     h_t = (1 − z)·n + z·h_{t−1}   (PyTorch's form)
 *   RNN   h_t = tanh(W_ih x + b_ih + W_hh h_{t−1} + b_hh)
 */
import type { MessageId } from './messages.ts';

export type CellKind = 'lstm' | 'gru' | 'rnn';
export type GateMaps = Record<string, number[][]>;
/** One character (its position in the trace) and one unit. */
export interface TraceCell {
  position: number;
  unit: number;
}

export interface EquationLine {
  /** The quantity this line computes: 'c', 'h' or 'n'. */
  target: string;
  /** The equation with the numbers in it, e.g. "c_t = 0.93·(−0.41) + 0.88·0.67 = 0.21". */
  text: string;
  /** The right-hand side evaluated from the traced operands, and the traced value it should equal. */
  computed: number;
  traced: number;
}

export interface GateRole {
  gate: string;
  message: MessageId;
  vars: Record<string, string>;
}

export interface FilledEquations {
  lines: EquationLine[];
  /** One line per gate saying what it did at this character. */
  roles: GateRole[];
}

/** Two decimals with a real minus sign; −0.00 is 0.00. */
export function formatValue(value: number, digits = 2): string {
  const text = value.toFixed(digits);
  if (/^-0\.?0*$/.test(text)) return text.slice(1);
  return text.startsWith('-') ? `\u2212${text.slice(1)}` : text;
}

/** A factor in a product: negative numbers in parentheses. */
function factor(value: number): string {
  const text = formatValue(value);
  return text.startsWith('\u2212') ? `(${text})` : text;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

/** tanh's argument recovered from its output; "…" when the output is saturated (|v| = 1 in float32). */
function tanhArgument(output: number): string {
  return Math.abs(output) < 1 ? formatValue(Math.atanh(output)) : '…';
}

/** The gates' values at one character and unit, and the state before it (zero at the first character). */
export function valuesAt(maps: GateMaps, position: number, unit: number): { now: Record<string, number>; before: Record<string, number> } {
  const now: Record<string, number> = {};
  const before: Record<string, number> = {};
  for (const [gate, rows] of Object.entries(maps)) {
    now[gate] = rows[position]?.[unit] ?? 0;
    before[gate] = position > 0 ? rows[position - 1]?.[unit] ?? 0 : 0;
  }
  return { now, before };
}

export function fillEquations(cell: CellKind, maps: GateMaps, position: number, unit: number): FilledEquations {
  const { now, before } = valuesAt(maps, position, unit);
  switch (cell) {
    case 'lstm': {
      const { i, f, g, o, c, h } = now;
      const cPrev = before.c;
      const cComputed = f * cPrev + i * g;
      const tanhC = Math.tanh(c);
      return {
        lines: [
          {
            target: 'c',
            text: `c_t = f·c_{t−1} + i·g = ${factor(f)}·${factor(cPrev)} + ${factor(i)}·${factor(g)} = ${formatValue(cComputed)}`,
            computed: cComputed,
            traced: c,
          },
          {
            target: 'h',
            text: `h_t = o·tanh(c_t) = ${factor(o)}·tanh(${formatValue(c)}) = ${formatValue(o * tanhC)}`,
            computed: o * tanhC,
            traced: h,
          },
        ],
        roles: [
          { gate: 'f', message: 'gates.did.f', vars: { value: formatValue(f), share: percent(f) } },
          { gate: 'i', message: 'gates.did.i', vars: { value: formatValue(i), share: percent(i), candidate: formatValue(g) } },
          { gate: 'o', message: 'gates.did.o', vars: { value: formatValue(o), share: percent(o), cell: formatValue(tanhC) } },
        ],
      };
    }
    case 'gru': {
      const { r, z, n, h } = now;
      const hPrev = before.h;
      const hComputed = (1 - z) * n + z * hPrev;
      return {
        lines: [
          {
            target: 'n',
            text: `n_t = tanh(W_in x + b_in + ${factor(r)}·(W_hn h_{t−1} + b_hn)) = tanh(${tanhArgument(n)}) = ${formatValue(n)}`,
            computed: n,
            traced: n,
          },
          {
            target: 'h',
            text: `h_t = (1 − z)·n + z·h_{t−1} = (1 − ${formatValue(z)})·${factor(n)} + ${factor(z)}·${factor(hPrev)} = ${formatValue(hComputed)}`,
            computed: hComputed,
            traced: h,
          },
        ],
        roles: [
          { gate: 'r', message: 'gates.did.r', vars: { value: formatValue(r), share: percent(r) } },
          { gate: 'z', message: 'gates.did.z', vars: { value: formatValue(z), share: percent(z), rest: percent(1 - z) } },
        ],
      };
    }
    case 'rnn': {
      const { h } = now;
      return {
        lines: [{
          target: 'h',
          text: `h_t = tanh(W_ih x + b_ih + W_hh h_{t−1} + b_hh) = tanh(${tanhArgument(h)}) = ${formatValue(h)}`,
          computed: h,
          traced: h,
        }],
        roles: [{ gate: 'h', message: 'gates.did.rnn', vars: { previous: formatValue(before.h) } }],
      };
    }
  }
}
