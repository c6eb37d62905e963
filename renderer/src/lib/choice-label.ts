/** A choice field's value (cell "lstm", schedule "step"…) as the UI names it, in its language; other values as they are. */
import { t } from './i18n.svelte.ts';
import { messages, type MessageId } from './messages.ts';

export function choiceLabel(field: string, value: string): string {
  const id = `choice.${field}.${value}`;
  return id in messages ? t(id as MessageId) : value;
}
