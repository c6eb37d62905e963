/**
 * Schema version 3: the trash. Deleting a run, a checkpoint or a corpus (in the UI or with `rnnwb rm`)
 * moves its rows here, so one wrong click loses nothing: `trash` is one deleted thing as the person
 * named it, `trash_rows` the rows it took along (JSON, so later columns need no trash twin), with a
 * row's BLOB (a checkpoint's safetensors bytes) kept as bytes beside it. Restoring puts the rows back
 * under their old ids; emptying the trash really deletes them.
 */
import type { Migration } from './types.ts';

export const migration003: Migration = {
  version: 3,
  name: 'trash',
  up(db) {
    db.exec(`
      CREATE TABLE trash (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('run', 'checkpoint', 'corpus')),
        -- The deleted thing's id and name when it was deleted, for the list and for restoring.
        item_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        -- Runs taken along (a corpus deleted with its runs), and the bytes held here.
        runs INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        deleted_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE trash_rows (
        trash_id INTEGER NOT NULL REFERENCES trash(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        table_name TEXT NOT NULL,
        -- A JSON array of row objects; a row with a BLOB column travels alone, its bytes in blob.
        rows TEXT NOT NULL CHECK (json_valid(rows)),
        blob BLOB,
        PRIMARY KEY (trash_id, seq)
      ) STRICT;
    `);
  },
};
