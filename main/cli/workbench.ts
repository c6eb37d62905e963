/**
 * The CLI's transport is the service itself, in process: the CLI process hosts the run manager for
 * the runs it starts. Every call still goes through the same argument check as IPC and WebSocket.
 */
import type { WorkbenchApi } from '../api/contract.ts';
import { validateCall } from '../api/schemas.ts';
import { API_METHODS } from '../api/contract.ts';

export interface Workbench {
  api: WorkbenchApi;
  dbPath: string;
  /** Ends the service; running runs are paused (not lost) when `pauseRunning`. */
  close(options?: { pauseRunning?: boolean }): Promise<void>;
}

type Service = WorkbenchApi & { close(options?: { pauseRunning?: boolean }): Promise<void> | void };

export async function openWorkbench(dbPath: string): Promise<Workbench> {
  // TEMPORARY until main/api/service.ts lands: a dynamic import keeps the tree type-checking.
  const servicePath = '../api/service.ts';
  const { createWorkbenchService } = (await import(servicePath)) as {
    createWorkbenchService(options: { dbPath: string }): Promise<Service> | Service;
  };
  const service = await createWorkbenchService({ dbPath });
  return {
    api: checked(service),
    dbPath,
    async close(options) {
      await service.close(options);
    },
  };
}

/** The API with every call's arguments checked first, as the other transports do. */
function checked(api: WorkbenchApi): WorkbenchApi {
  const wrapped = Object.fromEntries(
    API_METHODS.map((method) => [
      method,
      (...args: unknown[]) => {
        const valid = validateCall(method, args);
        return (api[method] as (...a: unknown[]) => Promise<unknown>).apply(api, valid);
      },
    ]),
  );
  return { ...wrapped, onRunEvent: (callback) => api.onRunEvent(callback) } as WorkbenchApi;
}
