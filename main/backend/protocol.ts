/**
 * What the Electron main process and the backend process (entry.ts) say to each other over the
 * backend's parent port. The pages' calls do not pass here: each window gets a MessagePort of its own
 * to the backend (`connect`), and speaks the call/result/event frames of api/wire.ts on it.
 * Import-free at run time, so the main process's bundle stays free of the service.
 */

/** Main → backend. */
export type ToBackend =
  /** Open the database and start the service (the first message, once). */
  | { kind: 'open'; dbPath: string; engineWorker?: string }
  /** Serve one page on the MessagePort transferred with this message. */
  | { kind: 'connect' }
  /** Pause the running runs (they resume later), close the database, and exit. */
  | { kind: 'close' };

/** Backend → main. */
export type FromBackend =
  | { kind: 'ready' }
  /** The service could not start: a sentence for the person (main shows it and quits). */
  | { kind: 'failed'; message: string }
  | { kind: 'closed' };

/** A MessagePort as the backend uses it: Electron's MessagePortMain (and the stand-in over a Node child's IPC). */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

/** The backend's side of its parent: Electron's `process.parentPort` (messages arrive as events with transferred ports). */
export interface ParentPortLike {
  postMessage(message: FromBackend): void;
  on(event: 'message', listener: (event: { data: unknown; ports: PortLike[] }) => void): unknown;
}
