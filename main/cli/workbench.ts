/**
 * The CLI's transport is the service itself, in process: the CLI process hosts the run manager for
 * the runs it starts. Every call still goes through the dispatcher, as over IPC and WebSocket: the same
 * argument check, and the same errors (an ApiError with its code, which the CLI maps to an exit code).
 */
import { API_METHODS, type WorkbenchApi } from '../api/contract.ts';
import { callApi } from '../api/dispatch.ts';
import { createWorkbenchService, type WorkbenchService } from '../api/service.ts';
import { spareEngineLauncher } from '../runs/launcher.ts';
import { Storage } from '../storage/index.ts';

export interface Workbench {
  api: WorkbenchApi;
  dbPath: string;
  /** The open database, for commands that work on files beside it (export-project / import-run). */
  storage: Storage;
  /** Ends the service; a run still training is paused (resumable), not lost. */
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  /** A long-lived host (`serve`) takes over runs other hosts left queued; a one-shot command only runs what it starts itself. */
  host?: boolean;
  /** A command that only reads: the database must exist; nothing is created or upgraded (read-only folders work). */
  readOnly?: boolean;
  /**
   * A command about to train on the built-in engine: its engine process starts now, with this many
   * threads' kernels, while the database is opened and the run stored (spareEngineLauncher).
   */
  spareEngineThreads?: number;
}

/** Ends the refusals of a command that only reads, when there is no database yet or an older one. */
const HOW_TO_WRITE = 'A command that writes creates or upgrades it: `rnnwb corpus add FILE`, `rnnwb train --corpus FILE` or `rnnwb serve`.';

export function openWorkbench(dbPath: string, options: WorkbenchOptions = {}): Workbench {
  const launcher = options.spareEngineThreads === undefined ? undefined : spareEngineLauncher(options.spareEngineThreads);
  let storage: Storage;
  let service: WorkbenchService;
  try {
    storage = Storage.open({ path: dbPath, access: options.readOnly ? 'read' : 'write', howToWrite: HOW_TO_WRITE });
  } catch (error) {
    launcher?.dispose();
    throw error;
  }
  try {
    // A host (`serve`) answers many pages: inference and compare run in worker threads, off its event loop.
    service = createWorkbenchService({ storage, launcher, adoptQueued: options.host ?? false, pauseOnClose: true, offload: options.host ?? false });
  } catch (error) {
    launcher?.dispose();
    storage.close();
    throw error;
  }
  const close = async () => {
    // The service leaves a storage it was given open.
    await service.close();
    storage.close();
    launcher?.dispose();
  };
  return { api: checked(service), dbPath, storage, close };
}

/** The API with every call going through the dispatcher, as the other transports' calls do. */
function checked(api: WorkbenchApi): WorkbenchApi {
  const wrapped = Object.fromEntries(
    API_METHODS.map((method) => [method, (...args: unknown[]) => callApi(api, method, args)]),
  );
  return { ...wrapped, onRunEvent: (callback) => api.onRunEvent(callback) } as WorkbenchApi;
}
