/**
 * The engine's user-facing errors for text, data and checkpoints. Each carries a stable `code` so a
 * host can map it (a dialog, an HTTP status, a CLI exit code) without parsing the message; the message
 * itself is written for the person who picked the file.
 * Not for programming errors (wrong array sizes and the like): those stay plain `Error`/`RangeError`.
 */

export type EngineErrorCode =
  | 'invalid-utf8'
  | 'unknown-chars'
  | 'bad-vocab'
  | 'corpus-too-short'
  | 'bad-checkpoint';

export class EngineError extends Error {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bytes that are not valid UTF-8; `offset` is the byte where the bad sequence starts. */
export class TextError extends EngineError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super('invalid-utf8', message);
    this.offset = offset;
  }
}

/** Text with characters the vocabulary lacks; `chars` lists each one once, in order of first appearance. */
export class UnknownCharactersError extends EngineError {
  readonly chars: string[];

  constructor(message: string, chars: string[]) {
    super('unknown-chars', message);
    this.chars = chars;
  }
}

/** A vocabulary that cannot be used as an id mapping (duplicates, multi-character entries, ids out of range). */
export class VocabularyError extends EngineError {
  constructor(message: string) {
    super('bad-vocab', message);
  }
}

/** A text too short to cut even one training window from. */
export class CorpusTooShortError extends EngineError {
  constructor(message: string) {
    super('corpus-too-short', message);
  }
}

/** A checkpoint or safetensors file the engine cannot read, or a model/checkpoint mismatch. */
export class CheckpointError extends EngineError {
  constructor(message: string) {
    super('bad-checkpoint', message);
  }
}

/** 1234567 → "1,234,567" (fixed grouping, independent of the host's locale). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** One character as a person can read it in a message: `"é" (U+00E9)`, `"\n" (U+000A)`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}
