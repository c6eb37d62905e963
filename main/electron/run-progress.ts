/**
 * Training seen from outside the window: the taskbar (dock) progress bar shows the progress of the runs
 * that train (contract.ts trainingProgress), and an OS notification says when a run has finished or
 * failed. Fed by run events over a connection of main's own to the backend (as a page's).
 */
import { Notification, type MessagePortMain } from 'electron';
import { trainingProgress, type RunStatus, type RunSummary, type WorkbenchApi } from '../api/contract.ts';
import type { Backend } from './backend-host.ts';
import { createPageConnection, type PageConnection } from './page-connection.ts';

type RunsApi = Pick<WorkbenchApi, 'listRuns' | 'onRunEvent'>;
type Tracked = Pick<RunSummary, 'name' | 'status' | 'step' | 'totalSteps'>;

/** The window whose taskbar entry shows the bar (null while there is none). */
export interface ProgressWindow {
  setProgressBar(progress: number): void;
  isDestroyed(): boolean;
}

/** A run's end as a notification: its title and body, or null for ends nobody needs telling (stopped by hand). */
export function endNotice(name: string, status: RunStatus, reason: string | null): { title: string; body: string } | null {
  if (status === 'done') return { title: `Run "${name}" finished`, body: 'Training is done; its final checkpoint is stored.' };
  if (status === 'failed') return { title: `Run "${name}" failed`, body: reason ?? 'Training failed.' };
  return null;
}

/** Follows the runs until the returned function is called. */
export function trackRunProgress(api: RunsApi, window: () => ProgressWindow | null): () => void {
  const runs = new Map<number, Tracked>();
  const show = () => {
    const target = window();
    if (!target || target.isDestroyed()) return;
    // -1 removes the bar.
    target.setProgressBar(trainingProgress([...runs.values()]) ?? -1);
  };
  const refresh = async () => {
    try {
      for (const run of await api.listRuns()) runs.set(run.id, run);
      show();
    } catch {
      // The backend is closing: the bar simply stays as it was.
    }
  };
  const unsubscribe = api.onRunEvent((event) => {
    const run = runs.get(event.runId);
    if (event.type === 'created') return void refresh();
    if (event.type === 'deleted') runs.delete(event.runId);
    else if (run && event.type === 'progress') runs.set(event.runId, { ...run, step: event.metric.step, totalSteps: event.metric.totalSteps });
    else if (run && event.type === 'status') {
      runs.set(event.runId, { ...run, status: event.status });
      const notice = endNotice(run.name, event.status, event.reason);
      if (notice && Notification.isSupported()) new Notification(notice).show();
    } else return;
    show();
  });
  void refresh();
  return unsubscribe;
}

/** Main's own port to the backend, spoken as a page speaks it (page-connection.ts). */
export function backendConnection(backend: Pick<Backend, 'connect'>): PageConnection {
  const connection = createPageConnection();
  backend.connect({
    postMessage(_channel, _answer, transfer?: MessagePortMain[]) {
      const port = transfer?.[0];
      if (!port) return;
      connection.attach({
        postMessage: (message) => port.postMessage(message),
        set onmessage(handler: ((event: { data: unknown }) => void) | null) {
          port.on('message', (event) => handler?.(event));
          port.start();
        },
        get onmessage() {
          return null;
        },
      });
    },
  });
  return connection;
}

/** The runs and their events, over main's own port. */
export function backendRunsApi(backend: Pick<Backend, 'connect'>): RunsApi {
  const connection = backendConnection(backend);
  return {
    listRuns: () => connection.call('listRuns', []) as Promise<RunSummary[]>,
    onRunEvent: (listener) => connection.onEvent(listener),
  };
}
