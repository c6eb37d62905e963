/**
 * The CLI's transport is the service itself, in process: the CLI process hosts the run manager for
 * the runs it starts. Every call still goes through the same argument check as IPC and WebSocket.
 */
import { API_METHODS, type WorkbenchApi } from '../api/contract.ts';
import { validateCall } from '../api/schemas.ts';
import { createWorkbenchService } from '../api/service.ts';

export interface Workbench {
  api: WorkbenchApi;
  dbPath: string;
  /** Ends the service; a run still training is paused (resumable), not lost. */
  close(): Promise<void>;
}

/**
 * `host`: a long-lived host (`serve`) takes over runs other hosts left queued; a one-shot command
 * only runs what it starts itself.
 */
export function openWorkbench(dbPath: string, options: { host?: boolean } = {}): Workbench {
  const service = createWorkbenchService({ dbPath, adoptQueued: options.host ?? false, pauseOnClose: true });
  return { api: checked(service), dbPath, close: () => service.close() };
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
