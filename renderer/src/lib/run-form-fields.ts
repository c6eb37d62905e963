/**
 * The New-run form's layout, built from the hyperparameter table (engine/fields.ts): each field's kind
 * and choices, and the sections with their fields in the table's order. A field added to the table
 * appears in the form without an edit here. Pure, no UI state (run-form.svelte.ts holds the values).
 */
import type { Hyperparameters } from '../../../engine/config.ts';
import { FORM_SECTIONS, HYPERPARAMETER_KEYS, fieldSpec, type FieldKind, type FormSection } from '../../../engine/fields.ts';

export type { FieldKind };

/** Every field but steps, which shares the form's length control with epochs. */
export type FieldKey = Exclude<keyof Hyperparameters, 'steps'>;
export const FIELD_KEYS = HYPERPARAMETER_KEYS.filter((key): key is FieldKey => key !== 'steps');

/** Each field's kind, from the table (engine/fields.ts). */
export const FIELD_KINDS = Object.fromEntries(FIELD_KEYS.map((key) => [key, fieldSpec(key).kind])) as Record<FieldKey, FieldKind>;

/** The choices of the choice fields. */
export const CHOICES: Partial<Record<FieldKey, readonly string[]>> = Object.fromEntries(
  FIELD_KEYS.flatMap((key) => {
    const spec = fieldSpec(key);
    return spec.kind === 'choice' ? [[key, spec.choices]] : [];
  }),
);

/** The form's sections, in tab order, with their fields in the table's order; `length` is the epochs-or-steps pair. */
export const SECTIONS: { id: FormSection; fields: (FieldKey | 'length')[] }[] = FORM_SECTIONS.map((id) => ({
  id,
  fields: [...new Set(HYPERPARAMETER_KEYS.filter((key) => fieldSpec(key).section === id)
    .map((key) => (fieldSpec(key).control === 'length' ? 'length' : key as FieldKey)))],
}));

