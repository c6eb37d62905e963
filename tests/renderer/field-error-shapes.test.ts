// The UI translates the engine's field messages by the field's rule in the table; a new field or a
// reworded message must not silently stay English in Chinese, and the English template must say what the engine says.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, validateHyperparameters, type Hyperparameters } from '../../engine/config.ts';
import { parseFieldError } from '../../renderer/src/lib/field-error-shapes.ts';
import { messages } from '../../renderer/src/lib/messages.ts';

/** Bad values for every field: too low, too high, not a number, not one of the choices. */
const BAD_VALUES: (number | string)[] = [-5, 1e12, Number.NaN, 'nonsense', 0];

function everyFieldMessage(): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const field of Object.keys(DEFAULT_HYPERPARAMETERS) as (keyof Hyperparameters)[]) {
    for (const value of BAD_VALUES) {
      const hyper = { ...DEFAULT_HYPERPARAMETERS, [field]: value } as Hyperparameters;
      if (field === 'steps' && typeof value === 'string') continue;
      const message = validateHyperparameters(hyper)[field];
      if (message) out.push({ field, message });
    }
  }
  return out;
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

describe('field error shapes', () => {
  const cases = everyFieldMessage();

  it('finds a message for every field', () => {
    const fields = new Set(cases.map((c) => c.field));
    for (const field of Object.keys(DEFAULT_HYPERPARAMETERS)) expect(fields, field).toContain(field);
  });

  it.each(cases)('$field: "$message" has a known shape whose English template gives it back', ({ field, message }) => {
    const parts = parseFieldError(field, message);
    expect(parts, message).not.toBeNull();
    const label = message.slice(0, message.search(/ must be | other than /)); // a field's own rule, or one it needs beside another
    expect(fill(messages[parts!.id][0], { ...parts!.vars, label })).toBe(message);
    // The Chinese template uses nothing the sentence did not give.
    expect(fill(messages[parts!.id][1], { ...parts!.vars, label })).not.toMatch(/\{\w+\}/);
  });

  it('leaves a sentence of another shape, or of a field the table lacks, alone', () => {
    expect(parseFieldError('hidden', 'The corpus is empty.')).toBeNull();
    expect(parseFieldError('hidden', 'Hidden size must be a whole number from 1 to 9 (got 0).')).toBeNull();
    expect(parseFieldError('nonsense', 'Hidden size must be a whole number from 1 to 4096 (got 0).')).toBeNull();
  });
});
