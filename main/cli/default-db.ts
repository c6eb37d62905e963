/**
 * The product name (Electron's userData folder is named after it) and the CLI's default database:
 * storage's one rule (--db, then RW_DB, then $XDG_DATA_HOME/recurrent-workbench/workbench.db).
 */
import { resolveDatabasePath } from '../storage/paths.ts';

export const PRODUCT_NAME = 'Recurrent Workbench';

export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDatabasePath({ env });
}
