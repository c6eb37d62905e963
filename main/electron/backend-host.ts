/**
 * Main's side of the backend process (main/backend/entry.ts): forks it as a utility process, opens the
 * database there, hands each page a MessagePort to it, and at quit asks it to pause the runs and end.
 * Main itself then runs no SQLite, no run manager and no inference: nothing a call does can freeze the window.
 */
import { MessageChannelMain, utilityProcess, type MessagePortMain } from 'electron';
import type { FromBackend, ToBackend } from '../backend/protocol.ts';
import { PORT_CHANNEL, type PortAnswer } from './channels.ts';

/** What a page's port is posted to: a WebContents, or the frame that asked. */
export interface PageTarget {
  postMessage(channel: string, message: PortAnswer | null, transfer?: MessagePortMain[]): void;
}

export interface Backend {
  readonly pid: number | undefined;
  /** A new MessageChannel: one end to the backend, the other to the page. */
  connect(page: PageTarget): void;
  /** Called once if the backend ends without being asked to (a crash): the app cannot go on without it. */
  onUnexpectedExit(listener: (code: number) => void): void;
  /** Asks the backend to pause the runs and end; resolves once it has ended (killed after `deadlineMs`). */
  close(deadlineMs?: number): Promise<void>;
}

export interface BackendOptions {
  /** The built backend (dist/backend/entry.js). */
  entry: string;
  dbPath: string;
  /** The built engine worker (dist/engine/worker.js). */
  engineWorker?: string;
}

/** Starts the backend and opens the database there; rejects with the backend's sentence when it cannot. */
export function startBackend(options: BackendOptions): Promise<Backend> {
  const child = utilityProcess.fork(options.entry, [], { serviceName: 'Recurrent Workbench backend', stdio: 'inherit' });
  const post = (message: ToBackend, transfer?: MessagePortMain[]) => child.postMessage(message, transfer);
  let closing = false;
  let exited = false;
  const exitListeners: ((code: number) => void)[] = [];
  const ended = new Promise<number>((resolve) => child.once('exit', (code: number) => {
    exited = true;
    resolve(code);
  }));
  void ended.then((code) => {
    if (!closing) for (const listener of exitListeners) listener(code);
  });

  const backend: Backend = {
    get pid() {
      return child.pid;
    },
    connect(page) {
      const { port1, port2 } = new MessageChannelMain();
      post({ kind: 'connect' }, [port1]);
      page.postMessage(PORT_CHANNEL, null, [port2]);
    },
    onUnexpectedExit(listener) {
      exitListeners.push(listener);
    },
    async close(deadlineMs = 30_000) {
      if (exited) return;
      closing = true;
      post({ kind: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          child.kill();
          resolve();
        }, deadlineMs);
      });
      await Promise.race([ended, late]);
      clearTimeout(timer);
    },
  };

  return new Promise((resolve, reject) => {
    child.once('spawn', () => post({ kind: 'open', dbPath: options.dbPath, engineWorker: options.engineWorker }));
    child.on('message', (message: FromBackend) => {
      if (message.kind === 'ready') resolve(backend);
      else if (message.kind === 'failed') {
        closing = true;
        child.kill();
        reject(new Error(message.message));
      }
    });
    void ended.then((code) => reject(new Error(`The workbench backend ended before it was ready (exit code ${code}).`)));
  });
}
