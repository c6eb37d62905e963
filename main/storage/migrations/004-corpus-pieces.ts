/**
 * Schema version 4: a corpus's text moves out of its row into `corpus_pieces`, UTF-8 bytes in pieces
 * of 16 MiB. One TEXT value is capped at V8's longest string (better-sqlite3 reads every TEXT as one),
 * about 512 MiB; pieces have no such cap, and readers stream them (training, hashing) instead of
 * holding one value. Deleting a corpus takes its pieces along (ON DELETE CASCADE).
 * Corpora in the trash (migration 003 keeps a deleted corpus's row as JSON in `trash_rows`) get their
 * text moved the same way: the row loses `text`, and its pieces follow as blob rows of their own, so a
 * restore puts back a corpus of this schema.
 */
import type { Database } from 'better-sqlite3';
import type { Migration } from './types.ts';

/** Bytes per piece when this migration splits a stored text (new corpora use the size corpora.ts chooses). */
const PIECE_BYTES = 16 * 2 ** 20;

export const migration004: Migration = {
  version: 4,
  name: 'corpus pieces',
  up(db) {
    db.exec(`
      CREATE TABLE corpus_pieces (
        corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        -- 0, 1, 2…: the text is the pieces' bytes in this order (a piece may end inside a character).
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (corpus_id, seq)
      ) STRICT;
    `);
    const insert = db.prepare('INSERT INTO corpus_pieces (corpus_id, seq, bytes) VALUES (?, ?, ?)');
    const textOf = db.prepare('SELECT CAST(text AS BLOB) FROM corpora WHERE id = ?').pluck();
    for (const id of db.prepare('SELECT id FROM corpora ORDER BY id').pluck().all() as number[]) {
      splitIntoPieces(textOf.get(id) as Buffer | null, (seq, piece) => insert.run(id, seq, piece));
    }
    db.exec('ALTER TABLE corpora DROP COLUMN text');
    moveTrashedTexts(db);
  },
};

function splitIntoPieces(bytes: Buffer | null, write: (seq: number, piece: Buffer) => void): void {
  if (bytes === null) return;
  for (let seq = 0; seq * PIECE_BYTES < bytes.length; seq++) write(seq, bytes.subarray(seq * PIECE_BYTES, (seq + 1) * PIECE_BYTES));
}

/**
 * Each trashed corpus row (JSON in `trash_rows`) gives its text to new blob entries after the item's
 * last one, in the trash's own form for a row with a BLOB (`{"bytes": {"$blob": true}}` beside the bytes).
 * The text is read by SQLite as bytes, never as one JS string (it may be the longest V8 allows).
 */
function moveTrashedTexts(db: Database): void {
  const entries = db.prepare(`SELECT trash_id, seq, json_array_length(rows) AS count FROM trash_rows
    WHERE table_name = 'corpora' ORDER BY trash_id, seq`).all() as { trash_id: number; seq: number; count: number }[];
  const rowOf = db.prepare(`SELECT json_extract(rows, ?) AS id, CAST(json_extract(rows, ?) AS BLOB) AS bytes
    FROM trash_rows WHERE trash_id = ? AND seq = ?`);
  const dropText = db.prepare('UPDATE trash_rows SET rows = json_remove(rows, ?) WHERE trash_id = ? AND seq = ?');
  const lastSeq = db.prepare('SELECT max(seq) FROM trash_rows WHERE trash_id = ?').pluck();
  const append = db.prepare(`INSERT INTO trash_rows (trash_id, seq, table_name, rows, blob) VALUES (?, ?, 'corpus_pieces', ?, ?)`);
  for (const entry of entries) {
    for (let i = 0; i < entry.count; i++) {
      const row = rowOf.get(`$[${i}].id`, `$[${i}].text`, entry.trash_id, entry.seq) as { id: number; bytes: Buffer | null };
      splitIntoPieces(row.bytes, (seq, piece) => {
        const rows = JSON.stringify([{ corpus_id: row.id, seq, bytes: { $blob: true } }]);
        append.run(entry.trash_id, (lastSeq.get(entry.trash_id) as number) + 1, rows, piece);
      });
      dropText.run(`$[${i}].text`, entry.trash_id, entry.seq);
    }
  }
}
