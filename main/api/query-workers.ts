/**
 * A small pool of query workers (query-worker.ts) for one database: the service hands them the calls
 * that take long, so they never hold up the event loop of the process that owns the window or the
 * connections. The first worker starts at once, the others when calls overlap; a worker that dies is
 * started afresh for the next call (the calls it had are answered with an internal error); they keep
 * the process alive only while they have work.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError, type Id, type WorkbenchApi } from './contract.ts';
import type { QueryMethod, QueryReply, QueryRequest } from './query-protocol.ts';

const HERE = fileURLToPath(import.meta.url);

/**
 * The worker's script: the TypeScript source beside this file when running from sources (tests, tsx);
 * from a bundle in dist/<name>/, the bundled dist/backend/query-worker.js (bin/bundle.js builds it).
 */
export const QUERY_WORKER_SCRIPT = HERE.endsWith('.ts')
  ? path.join(path.dirname(HERE), 'query-worker.ts')
  : path.join(path.dirname(HERE), '..', 'backend', 'query-worker.js');

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: ApiError) => void }>;
}

export class QueryWorkers {
  private readonly slots: (Slot | null)[];
  private nextId = 1;
  private closed = false;

  constructor(private readonly dbPath: string, size = 2, private readonly script = QUERY_WORKER_SCRIPT) {
    this.slots = Array.from({ length: size }, () => null);
    // One starts now, so the first call finds its thread up (loading the modules takes a moment).
    this.slots[0] = this.start(0);
  }

  /** Runs one long call in the least busy worker; rejects with an ApiError only (the service's own, or internal). */
  call<M extends QueryMethod>(method: M, input: Parameters<WorkbenchApi[M]>[0]): ReturnType<WorkbenchApi[M]> {
    if (this.closed) return Promise.reject(new ApiError('The workbench service is closed.', 'internal')) as ReturnType<WorkbenchApi[M]>;
    const slot = this.leastBusy();
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
    slot.worker.ref();
    slot.worker.postMessage({ kind: 'call', id, method, input } as QueryRequest);
    return answer as ReturnType<WorkbenchApi[M]>;
  }

  /** A deleted checkpoint's model (or every model) leaves each worker's cache. */
  forget(checkpointId?: Id): void {
    for (const slot of this.slots) slot?.worker.postMessage({ kind: 'forget', checkpointId } satisfies QueryRequest);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot, i) => {
      this.slots[i] = null;
      if (!slot) return undefined;
      this.fail(slot, 'The workbench service is closed.');
      return slot.worker.terminate();
    }));
  }

  private leastBusy(): Slot {
    // Prefer a started worker that is idle (its model cache is warm), then a fresh one, then the least loaded.
    const started = this.slots.filter((s): s is Slot => s !== null);
    const idle = started.find((s) => s.pending.size === 0);
    if (idle) return idle;
    const free = this.slots.indexOf(null);
    if (free >= 0) return (this.slots[free] = this.start(free));
    return started.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private start(index: number): Slot {
    const worker = startThread(this.script, { dbPath: this.dbPath });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: QueryReply) => {
      const waiting = slot.pending.get(reply.id);
      if (!waiting) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new ApiError(reply.message, reply.code));
    });
    const lost = (why: string) => {
      if (this.slots[index] === slot) this.slots[index] = null;
      this.fail(slot, `Internal error: the query worker stopped (${why}); try again.`);
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return slot;
  }

  private fail(slot: Slot, message: string): void {
    for (const waiting of slot.pending.values()) waiting.reject(new ApiError(message, 'internal'));
    slot.pending.clear();
  }
}

/** A built script runs as it is; a TypeScript source through tsx, registered inside the new thread. */
function startThread(script: string, workerData: unknown): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`;
  return new Worker(source, { eval: true, workerData });
}

