/**
 * Which of the engine's field messages a sentence is, and its numbers, so the UI can say the same in
 * another language. The rule comes from the field's entry in the table (engine/fields.ts), which also
 * wrote the English: only a sentence the table would write is rebuilt. Pure, no UI state.
 */
import { FIELD_ERROR_TEMPLATES, fieldRule, fieldSpec, fillTemplate, isHyperparameterKey, requiresRule } from '../../../engine/fields.ts';
import type { MessageId } from './messages.ts';

export interface FieldErrorParts {
  id: MessageId;
  vars: Record<string, string>;
}

/** The message id and its numbers, or null for a field the table lacks or a sentence of another shape. */
export function parseFieldError(field: string, english: string): FieldErrorParts | null {
  if (!isHyperparameterKey(field)) return null;
  const got = /\(got (.*)\)\.$/.exec(english)?.[1];
  if (got === undefined) return null;
  const { template, vars } = fieldRule(field);
  const written = fillTemplate(FIELD_ERROR_TEMPLATES[template], { ...vars, label: fieldSpec(field).label, got });
  if (written === english) return { id: `fieldError.${template}`, vars: { ...vars, got } };
  // A value refused beside another field (device cuda with the built-in engine).
  const requires = requiresRule(field);
  if (requires && fillTemplate(FIELD_ERROR_TEMPLATES.requires, { ...requires, label: fieldSpec(field).label, got }) === english) {
    return { id: 'fieldError.requires', vars: { ...requires, got } };
  }
  return null;
}
