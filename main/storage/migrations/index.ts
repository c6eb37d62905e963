/**
 * Every migration in order. Append a new file here to change the schema; never edit one that has
 * shipped (a database that already ran it would not run it again).
 */
import { migration001 } from './001-initial.ts';
import { migration002 } from './002-stop-requests.ts';
import { migration003 } from './003-trash.ts';
import { migration004 } from './004-corpus-pieces.ts';
import { migration005 } from './005-settings.ts';
import type { Migration } from './types.ts';

export type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005];

/** The schema version this build writes. */
export const LATEST_VERSION = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1].version;
