/**
 * Every migration in order. Append a new file here to change the schema; never edit one that has
 * shipped (a database that already ran it would not run it again).
 */
import { migration001 } from './001-initial.ts';
import type { Migration } from './types.ts';

export type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [migration001];

/** The schema version this build writes. */
export const LATEST_VERSION = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1].version;
