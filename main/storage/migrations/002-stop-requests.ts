/**
 * Schema version 2: a run can be asked to stop by a process that does not train it (`rnnwb rm --force`
 * of a run another workbench process trains). The owner reads the request on its heartbeat tick and
 * stops the run; the asker waits for the run to settle before it deletes it. NULL: nobody asked.
 */
import type { Migration } from './types.ts';

export const migration002: Migration = {
  version: 2,
  name: 'stop requests',
  up(db) {
    db.exec('ALTER TABLE runs ADD COLUMN stop_requested_at TEXT');
  },
};
