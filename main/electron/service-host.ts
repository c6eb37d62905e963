/**
 * Opening the workbench service inside Electron: the database with the Electron build of
 * better-sqlite3, engines in utilityProcesses.
 */
import type { WorkbenchApi } from '../api/contract.ts';
import type { EngineLauncher } from '../runs/launcher.ts';

export type Service = WorkbenchApi & { close(options?: { pauseRunning?: boolean }): Promise<void> | void };

export interface ServiceHostOptions {
  dbPath: string;
  nativeBinding?: string;
  engineLauncher: EngineLauncher;
}

export async function openService(options: ServiceHostOptions): Promise<Service> {
  // TEMPORARY until main/api/service.ts lands: a dynamic import keeps the tree type-checking.
  const servicePath = '../api/service.ts';
  const { createWorkbenchService } = (await import(servicePath)) as {
    createWorkbenchService(options: ServiceHostOptions): Promise<Service> | Service;
  };
  return createWorkbenchService(options);
}
