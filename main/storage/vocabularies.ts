/**
 * Vocabularies: the ordered character set a model was built with. Stored once per distinct list
 * (keyed by the SHA-256 of its JSON), shared by every run on the same characters, so a checkpoint
 * can always be decoded even after its corpus is gone.
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { StorageError } from './errors.ts';
import { isoNow } from './time.ts';
import type { Id, Vocabulary } from './types.ts';

interface VocabularyRow { id: Id; chars: string; sha256: string }

export function vocabularySha256(chars: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(chars), 'utf8').digest('hex');
}

export class VocabulariesRepository {
  private readonly bySha: Statement<[string], VocabularyRow>;
  private readonly byId: Statement<[Id], VocabularyRow>;
  private readonly insertRow: Statement<[string, string, number, string]>;

  constructor(private readonly db: Database) {
    this.bySha = db.prepare('SELECT id, chars, sha256 FROM vocabularies WHERE sha256 = ?');
    this.byId = db.prepare('SELECT id, chars, sha256 FROM vocabularies WHERE id = ?');
    this.insertRow = db.prepare('INSERT INTO vocabularies (chars, sha256, size, created_at) VALUES (?, ?, ?, ?)');
  }

  /** The stored vocabulary with exactly these characters in this order, created if new. */
  getOrCreate(chars: readonly string[]): Vocabulary {
    if (chars.length === 0) throw new StorageError('A vocabulary needs at least one character.');
    if (new Set(chars).size !== chars.length) throw new StorageError('A vocabulary lists each character once.');
    const sha256 = vocabularySha256(chars);
    return this.db.transaction(() => {
      const existing = this.bySha.get(sha256);
      if (existing) return toVocabulary(existing);
      const info = this.insertRow.run(JSON.stringify(chars), sha256, chars.length, isoNow());
      return { id: Number(info.lastInsertRowid), chars: [...chars], sha256 };
    }).immediate();
  }

  get(id: Id): Vocabulary | null {
    const row = this.byId.get(id);
    return row ? toVocabulary(row) : null;
  }
}

function toVocabulary(row: VocabularyRow): Vocabulary {
  return { id: row.id, chars: JSON.parse(row.chars) as string[], sha256: row.sha256 };
}
