/**
 * The message beside a New-run field in the UI's language. The engine's validateHyperparameters (run
 * here and by the host) writes English sentences from the field table; English shows them exactly as
 * written, other languages rebuild them from the field's own label, its rule and the value given.
 * A sentence of an unknown shape stays as it is rather than being guessed at.
 */
import { i18n, t } from './i18n.svelte.ts';
import { messages, type MessageId } from './messages.ts';
import { parseFieldError } from './field-error-shapes.ts';

/** The field's short name: its form label without the explanation in brackets. */
function shortLabel(field: string): string {
  const id = `field.${field}`;
  const label = id in messages ? t(id as MessageId) : field;
  return label.replace(/\s*[（(].*[)）]\s*$/, '');
}

export function fieldErrorText(field: string, english: string): string {
  if (i18n.language === 'en') return english;
  const parts = parseFieldError(field, english);
  return parts ? t(parts.id, { ...parts.vars, label: shortLabel(field) }) : english;
}
