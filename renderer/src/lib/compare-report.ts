/**
 * The Compare table as a report: only the hyperparameters that apply (steps or epochs as each run
 * counted; momentum only for SGD and RMSprop; decay only for the step schedule), numbers written as
 * Training writes them (255.9k chars/s, 2.2e−4, losses to 4 decimals), and a warning when the
 * checkpoints compared are at different steps. Pure: the view translates and draws.
 */
import type { CompareColumn, CompareRow } from '../../../main/api/contract.ts';
import { formatCount, formatLoss } from './format.ts';

type Value = string | number | null;

/** Whether a hyperparameter means something for a column, given that column's other values. */
function applies(field: string, valueOf: (field: string) => Value): boolean {
  switch (field) {
    case 'epochs': return valueOf('steps') === null;
    case 'steps': return valueOf('steps') !== null;
    case 'momentum': return valueOf('optimizer') === 'sgd' || valueOf('optimizer') === 'rmsprop';
    case 'decayEvery':
    case 'decayGamma': return valueOf('schedule') === 'step';
    default: return true;
  }
}

/**
 * The hyperparameter rows that apply to at least one column; a cell where its field does not apply
 * reads null (shown "—"), and `differs` counts only the cells that apply.
 */
export function applicableRows(rows: readonly CompareRow[]): CompareRow[] {
  const byField = new Map(rows.map((row) => [row.field, row]));
  const columns = rows[0]?.values.length ?? 0;
  const out: CompareRow[] = [];
  for (const row of rows) {
    const values = row.values.map((value, i) => (applies(row.field, (field) => byField.get(field)?.values[i] ?? null) ? value : undefined));
    const applying = values.filter((v) => v !== undefined);
    if (columns > 0 && applying.length === 0) continue;
    const first = JSON.stringify(applying[0]);
    out.push({ ...row, values: values.map((v) => (v === undefined ? null : v)), differs: applying.some((v) => JSON.stringify(v) !== first) });
  }
  return out;
}

const COUNTS = new Set(['chars/sec', 'parameters', 'vocabulary']);

/** A cell as Training writes numbers: counts compact, losses to 4 decimals, tiny numbers as 2.2e−4. */
export function formatCompareValue(field: string, value: Value): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (COUNTS.has(field)) return formatCount(Math.round(value));
  if (/loss|bits/.test(field)) return formatLoss(value);
  if (/accuracy/.test(field)) return `${(value * 100).toFixed(1)} %`;
  return formatNumber(value);
}

/** Integers as they are; fractions to 3 significant digits, in exponent form below 0.001 (with a real minus). */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 1e-3) return Number(value.toPrecision(2)).toExponential().replace('e+', 'e').replaceAll('-', '−');
  return String(Number(value.toPrecision(3)));
}

/** The distinct steps of the checkpoints compared, when they differ (null when they agree or are unknown). */
export function differentSteps(columns: readonly Pick<CompareColumn, 'step'>[]): number[] | null {
  const steps = [...new Set(columns.map((c) => c.step).filter((s): s is number => s !== null))].sort((a, b) => a - b);
  return steps.length > 1 ? steps : null;
}
