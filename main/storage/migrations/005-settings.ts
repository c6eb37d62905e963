/**
 * Schema version 5: settings — the workbench's own choices that are not a run's (which python the
 * PyTorch engine runs with), one text value per key.
 */
import type { Migration } from './types.ts';

export const migration005: Migration = {
  version: 5,
  name: 'settings',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};
