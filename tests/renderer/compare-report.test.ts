// Compare as a report: only the hyperparameters that apply to a column, numbers as Training writes
// them, and the steps of checkpoints that differ.
import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../../main/api/contract.ts';
import { applicableRows, differentSteps, formatCompareValue, formatNumber } from '../../renderer/src/lib/compare-report.ts';

const row = (field: string, values: (string | number | null)[]): CompareRow => ({ field, values, differs: false, best: [] });

describe('the rows that apply', () => {
  const rows = [
    row('cell', ['lstm', 'gru']),
    row('epochs', [500, 500]),
    row('steps', [null, 2000]),
    row('optimizer', ['adam', 'sgd']),
    row('momentum', [0, 0.9]),
    row('schedule', ['constant', 'cosine']),
    row('decayEvery', [1000, 1000]),
    row('decayGamma', [0.5, 0.5]),
  ];

  it('steps or epochs as each run counted; momentum only for SGD and RMSprop; decay only for the step schedule', () => {
    const shown = applicableRows(rows);
    expect(shown.map((r) => r.field)).toEqual(['cell', 'epochs', 'steps', 'optimizer', 'momentum', 'schedule']);
    const byField = Object.fromEntries(shown.map((r) => [r.field, r]));
    expect(byField.epochs.values).toEqual([500, null]);
    expect(byField.steps.values).toEqual([null, 2000]);
    expect(byField.momentum.values).toEqual([null, 0.9]);
    // Only the cells that apply count for "differs": one epochs value is no difference.
    expect(byField.epochs.differs).toBe(false);
    expect(byField.cell.differs).toBe(true);
  });

  it('decay rows come back once a column uses the step schedule', () => {
    const stepped = rows.map((r) => (r.field === 'schedule' ? row('schedule', ['constant', 'step']) : r));
    const byField = Object.fromEntries(applicableRows(stepped).map((r) => [r.field, r]));
    expect(byField.decayEvery.values).toEqual([null, 1000]);
    expect(byField.decayGamma.values).toEqual([null, 0.5]);
  });
});

describe('numbers as Training writes them', () => {
  it('compact counts, losses to 4 decimals, tiny numbers with an exponent and a real minus', () => {
    expect(formatCompareValue('chars/sec', 255_912.4)).toBe('255.9k');
    expect(formatCompareValue('parameters', 19_000_000)).toBe('19.00M');
    expect(formatCompareValue('best val loss', 0.00021)).toBe('0.0002');
    expect(formatCompareValue('best val accuracy', 0.8125)).toBe('81.3 %');
    expect(formatCompareValue('lr', 0.00022)).toBe('2.2e−4');
    expect(formatCompareValue('lr', 0.01)).toBe('0.01');
    expect(formatCompareValue('hidden', 64)).toBe('64');
    expect(formatCompareValue('epochs', null)).toBe('—');
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(-0.0005)).toBe('−5e−4');
  });
});

describe('checkpoints at different steps', () => {
  it('names the steps when they differ, nothing when they agree', () => {
    expect(differentSteps([{ step: 300 }, { step: 100 }, { step: 300 }])).toEqual([100, 300]);
    expect(differentSteps([{ step: 300 }, { step: 300 }])).toBeNull();
    expect(differentSteps([{ step: null }, { step: 300 }])).toBeNull();
  });
});
