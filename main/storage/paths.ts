/**
 * Where the database lives: in the app, Electron's userData folder; elsewhere (`serve`, the CLI)
 * $XDG_DATA_HOME/recurrent-workbench/workbench.db, else ~/.local/share/recurrent-workbench/workbench.db.
 * `--db` and `RW_DB` override both, which is how the CLI and the app share one database.
 */
import { homedir } from 'node:os';
import path from 'node:path';

export const DATABASE_FILE_NAME = 'workbench.db';
export const DATA_FOLDER_NAME = 'recurrent-workbench';

export interface DatabasePathOptions {
  /** The `--db` flag, highest precedence. */
  flag?: string;
  /** The environment to read RW_DB and XDG_DATA_HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Electron's app.getPath('userData'). */
  electronUserData?: string;
  /** For tests: the home folder (default the real one). */
  home?: string;
}

/** The absolute database path: --db, then RW_DB, then the per-user default. */
export function resolveDatabasePath(options: DatabasePathOptions = {}): string {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const explicit = nonEmpty(options.flag) ?? nonEmpty(env.RW_DB);
  if (explicit) return path.resolve(expandHome(explicit, home));
  if (options.electronUserData) return path.join(options.electronUserData, DATABASE_FILE_NAME);
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, DATA_FOLDER_NAME, DATABASE_FILE_NAME);
  return path.join(home, '.local', 'share', DATA_FOLDER_NAME, DATABASE_FILE_NAME);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

function expandHome(file: string, home: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(home, file.slice(1)) : file;
}
