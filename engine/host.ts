/**
 * The engine process's only door to its parent: a tiny shim over Electron's `process.parentPort`
 * (utilityProcess) and Node's `process.send` (a child forked with `serialization: 'advanced'`, so
 * Uint8Arrays travel as they are). Nothing else in the engine differs between the two.
 *
 * It also makes sure an engine never outlives its parent: the parent pid changing (we were
 * re-parented: the parent died) ends the process within half a second, and so does the IPC channel
 * closing ('disconnect') in a Node child. Electron's parentPort says nothing when the parent dies,
 * so there the pid watch is all we have.
 *
 * It also holds the Node side of the WebAssembly kernels (`nodeKernelHost`: reading build/*.wasm,
 * worker threads on the shared memory, the relaxed-SIMD flag), which the process entry hands to
 * the trainer and main hands to its playground models.
 *
 * The only engine file that touches Node/Electron process APIs. It never imports 'electron'.
 */
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { wasmFileUrl, type WasmKernelHost } from './kernels/wasm/index.ts';
import { WARM_THREADS_FLAG, type EngineMessage } from './protocol.ts';

/**
 * Electron's `process.parentPort`, the part we use. Unlike a MessagePortMain it has no 'close' event:
 * when the main process dies its pipe closes silently and postMessage drops what it is given.
 */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
  start?(): void;
}

export interface Host {
  readonly kind: 'electron' | 'node';
  readonly pid: number;
  /**
   * Threads the parent expects the job to ask for, when it started this process before the job was
   * known (a spare: main/runs/launcher.ts), so the kernels can start while the parent prepares the
   * job; null otherwise.
   */
  readonly warmThreads: number | null;
  post(msg: EngineMessage): void;
  onMessage(listener: (msg: unknown) => void): void;
  /** Lets pending messages in (and ours out) before the next piece of work. */
  yieldToEventLoop(): Promise<void>;
  /** Flushes what was posted, then ends the process with this code. */
  finish(code: number): void;
}

const WATCH_MS = 250;

function warmThreadsArgument(argv: string[]): number | null {
  const arg = argv.find((a) => a.startsWith(WARM_THREADS_FLAG));
  const threads = arg === undefined ? NaN : Number(arg.slice(WARM_THREADS_FLAG.length));
  return Number.isInteger(threads) && threads >= 1 ? threads : null;
}

export function connectHost(): Host {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    // A Node child's command line names engine/worker by itself; Electron starts a utility process with
    // its own, so say it in the title, which is what `ps` shows where the platform lets a process set it.
    process.title = 'rnnwb engine/worker';
    return electronHost(parentPort);
  }
  if (typeof process.send === 'function') return nodeHost();
  throw new Error('engine/worker must be started by a host: an Electron utilityProcess, or child_process.fork with an IPC channel.');
}

function exitNow(code: number): never {
  process.exit(code);
}

/** Ends the process when the parent pid changes (the parent died and we were re-parented). */
function watchParent(isGone: () => boolean): NodeJS.Timeout {
  const ppid = process.ppid;
  const timer = setInterval(() => {
    // On Linux and macOS an orphan's ppid changes at once; on Windows it keeps the dead parent's pid, so ask too.
    if (isGone() || process.ppid !== ppid || !isAlive(ppid)) exitNow(0);
  }, WATCH_MS);
  timer.unref();
  return timer;
}

/** Whether a process exists (EPERM: it does, but is not ours to signal). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function installCrashHandlers(post: (msg: EngineMessage) => void, finish: (code: number) => void): void {
  const crash = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    try {
      post({ type: 'error', message: `Internal error in the engine: ${message}`, step: null });
    } finally {
      finish(70);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // A terminal's Ctrl-C reaches the whole process group, engine included. The host decides what an
  // interrupt means (stop with a final checkpoint) and tells us by message; if the host itself dies,
  // the parent watch ends us. So the signal alone must not kill the run.
  process.on('SIGINT', () => {});
}

function nodeHost(): Host {
  let pending = 0;
  let finishing: number | null = null;
  const exitWhenFlushed = () => {
    if (finishing !== null && pending === 0) {
      if (process.connected) process.disconnect();
      // Normally the process ends here by itself; make sure of it.
      setTimeout(() => exitNow(finishing ?? 0), 200).unref();
    }
  };
  // What is posted before the event loop turns leaves in one send (EngineSend in protocol.ts).
  let queued: EngineMessage[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    if (batch.length === 0 || !process.connected) return;
    pending++;
    process.send!(batch.length === 1 ? batch[0] : batch, (err: Error | null) => {
      pending--;
      if (err && !process.connected) exitNow(0);
      exitWhenFlushed();
    });
  };
  const post = (msg: EngineMessage) => {
    if (!process.connected) return;
    if (queued.length === 0) setImmediate(flush);
    queued.push(msg);
  };
  const finish = (code: number) => {
    if (finishing !== null) return;
    finishing = code;
    process.exitCode = code;
    flush();
    clearInterval(watcher);
    exitWhenFlushed();
  };
  process.on('disconnect', () => {
    if (finishing === null) exitNow(0);
  });
  const watcher = watchParent(() => !process.connected && finishing === null);
  installCrashHandlers(post, finish);
  return {
    kind: 'node',
    pid: process.pid,
    warmThreads: warmThreadsArgument(process.argv),
    post,
    onMessage: (listener) => process.on('message', listener),
    yieldToEventLoop,
    finish,
  };
}

function electronHost(port: ParentPort): Host {
  let finishing = false;
  const post = (msg: EngineMessage) => port.postMessage(msg);
  const finish = (code: number) => {
    if (finishing) return;
    finishing = true;
    clearInterval(watcher);
    // postMessage has handed the message over; give the port a moment to deliver it.
    setTimeout(() => exitNow(code), 100);
  };
  // No 'close' listener: Electron's parentPort never emits one, so the pid watch is the only sign
  // that the main process died.
  const watcher = watchParent(() => false);
  installCrashHandlers(post, finish);
  return {
    kind: 'electron',
    pid: process.pid,
    warmThreads: null,
    post,
    onMessage: (listener) => {
      port.on('message', (e) => listener(e.data));
      port.start?.(); // messages queue until a listener is there (Electron also starts on the first listener)
    },
    yieldToEventLoop,
    finish,
  };
}

let relaxedFlagSet = false;
let eagerFlagsSet = false;

/** The WebAssembly kernels' needs met with Node: files from disk, threads from node:worker_threads. */
export const nodeKernelHost: Required<WasmKernelHost> = {
  loadBytes: async (file) => new Uint8Array(await readFile(wasmFileUrl(file))),
  startThread: (source, data) => new Worker(source, { eval: true, workerData: data }),
  enableRelaxedSimd: () => {
    // Node 20 (V8 11.3) validates relaxed SIMD only behind this flag; later versions ignore it.
    if (relaxedFlagSet) return;
    relaxedFlagSet = true;
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // flags are locked here: plain SIMD it is
    }
  },
  compileUpFront: () => {
    if (eagerFlagsSet) return;
    eagerFlagsSet = true;
    try {
      // V8 compiles each function at its first call with a baseline compiler, and optimizes hot ones later,
      // in the background; the first training steps then run slow code while fighting that compile for the cores.
      setFlagsFromString('--no-liftoff');
      setFlagsFromString('--no-wasm-lazy-compilation');
    } catch {
      // flags are locked here: the kernels tier up as they run
    }
  },
};
