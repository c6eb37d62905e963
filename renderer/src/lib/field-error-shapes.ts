/**
 * The shapes of the engine's field messages (engine/config.ts validateHyperparameters), so the UI can
 * say the same thing in another language: which message it is and the numbers in it. Pure, no UI state.
 */
import type { MessageId } from './messages.ts';

export interface FieldErrorParts {
  id: MessageId;
  vars: Record<string, string>;
}

const SHAPES: { pattern: RegExp; id: MessageId; parts: string[] }[] = [
  { pattern: /^.+ must be a whole number from (\S+) to (\S+) \(got (.*)\)\.$/, id: 'fieldError.int', parts: ['min', 'max', 'got'] },
  { pattern: /^.+ must be a number from (\S+) to (\S+) \(got (.*)\)\.$/, id: 'fieldError.range', parts: ['min', 'max', 'got'] },
  { pattern: /^.+ must be a number above (\S+) and at most (\S+) \(got (.*)\)\.$/, id: 'fieldError.above', parts: ['min', 'max', 'got'] },
  { pattern: /^.+ must be "next" or "every" \(got (.*)\)\.$/, id: 'fieldError.objective', parts: ['got'] },
  { pattern: /^.+ must be "full" or a whole number from 1 to 65536 \(got (.*)\)\.$/, id: 'fieldError.batch', parts: ['got'] },
  { pattern: /^.+ must be one of (.+) \(got (.*)\)\.$/, id: 'fieldError.oneOf', parts: ['choices', 'got'] },
];

/** The message id and its numbers, or null for a sentence of an unknown shape. */
export function parseFieldError(english: string): FieldErrorParts | null {
  for (const shape of SHAPES) {
    const match = shape.pattern.exec(english);
    if (!match) continue;
    const vars: Record<string, string> = {};
    shape.parts.forEach((part, i) => (vars[part] = match[i + 1]));
    return { id: shape.id, vars };
  }
  return null;
}
