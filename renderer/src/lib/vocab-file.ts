/**
 * A vocabulary file chosen for a checkpoint import, read the way the host reads corpora: a `.json`
 * file holding an array of one-character strings is sent as `{ chars }`; any other file is text whose
 * distinct characters are the vocabulary, sent as `{ text }` decoded byte-exact (a BOM is kept, since
 * U+FEFF may be one of the model's characters, and invalid UTF-8 is refused rather than replaced).
 */
import type { VocabularySource } from '../../../main/api/contract.ts';

export class VocabularyFileError extends Error {
  constructor(readonly problem: 'utf8' | 'json', readonly fileName: string) {
    super(problem === 'utf8'
      ? `"${fileName}" is not valid UTF-8 text, so it cannot give a vocabulary.`
      : `"${fileName}" must hold a JSON array of one-character strings.`);
    this.name = 'VocabularyFileError';
  }
}

function isCharArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((c) => typeof c === 'string' && Array.from(c).length === 1);
}

export async function readVocabularyFile(file: File): Promise<VocabularySource> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await file.arrayBuffer());
  } catch {
    throw new VocabularyFileError('utf8', file.name);
  }
  if (!/\.json$/i.test(file.name)) return { text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new VocabularyFileError('json', file.name);
  }
  if (!isCharArray(parsed)) throw new VocabularyFileError('json', file.name);
  return { chars: parsed };
}
