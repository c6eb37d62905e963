/**
 * Where the workbench database lives when no --db is given: the same file the desktop app uses
 * (Electron's userData folder for "Recurrent Workbench"), so the CLI sees the app's runs and the app
 * sees the CLI's. RNNWB_DB overrides it.
 */
import os from 'node:os';
import path from 'node:path';

export const PRODUCT_NAME = 'Recurrent Workbench';
export const DATABASE_FILE = 'workbench.db';

export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), PRODUCT_NAME);
}

export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.RNNWB_DB ? path.resolve(env.RNNWB_DB) : path.join(userDataDir(env), DATABASE_FILE);
}
