/**
 * Opening the workbench service inside Electron: engines in utilityProcesses, and the database
 * through Storage.open, which picks the Electron build of better-sqlite3 by itself
 * (storage/native-binding.ts: build/electron/better_sqlite3.node, unpacked from the asar when packaged).
 */
import { createWorkbenchService, type WorkbenchService } from '../api/service.ts';
import type { EngineLauncher } from '../runs/launcher.ts';

export type Service = WorkbenchService;

export function openService(options: { dbPath: string; engineLauncher: EngineLauncher }): Service {
  // The app is a long-lived host: it takes over queued runs, and quitting pauses running ones.
  return createWorkbenchService({ dbPath: options.dbPath, launcher: options.engineLauncher, adoptQueued: true, pauseOnClose: true });
}
