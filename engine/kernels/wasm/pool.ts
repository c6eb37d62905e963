/**
 * The worker threads and how one job is shared among them. Each worker instantiates the same module
 * on the same shared memory and runs `workerSource` below. They synchronise through Atomics on a small
 * shared Int32Array (the control block): the caller publishes a job and bumps a generation counter,
 * then every thread, the caller included, takes chunks from a shared counter until none are left, so a
 * descheduled worker (a busy machine) costs nothing: the others take its chunks. Workers spin briefly
 * before sleeping, so back-to-back jobs (one per time step) do not pay a futex wake each.
 *
 * A job is cut over its OUTPUT only (rows, or columns at multiples of 8), never over a reduction, so
 * results are bit-identical whatever the thread count.
 *
 * Not here: starting a thread (the host's `startThread`: engine/host.ts), what an op computes
 * (ops.ts), when a job is worth threading (kernel-set.ts).
 */
import type { AssemblyExports } from './module.ts';
import { OP, runSlice, sliceRunner, type Op } from './ops.ts';

/** What a worker thread receives: the compiled module, the shared memory and the control block. */
export interface ThreadData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
}

/** A started thread, the part of node:worker_threads' Worker the kernels use. */
export interface ThreadHandle {
  once(event: 'message' | 'error', listener: (value: unknown) => void): void;
  /** The thread must not keep its process alive. */
  unref(): void;
  terminate(): unknown;
}

export type StartThread = (source: string, data: ThreadData) => ThreadHandle;

// Control block (Int32): 0 generation, 1 chunks done, 2 op, 3 exit, 4 chunk count, 5 next chunk to take;
// 8.. job arguments; 32 + 4c.. output slice of chunk c (r0, r1, c0, c1).
const GEN = 0, DONE = 1, OP_SLOT = 2, EXIT = 3, NCHUNK = 4, NEXT = 5, ARGS = 8, SLICES = 32;
const SPIN = 20000;
/** At most this many chunks per job (each matmulAtB chunk has its own packing scratch: kernel-set.ts). */
export const MAX_CHUNKS = 64;
/** `next` between jobs: a late worker's take lands past any chunk count. */
const CLOSED = 1 << 30;

// Runs in each worker (CommonJS, evaluated from this string so no loader or bundler is involved). Its
// require('node:worker_threads') is code text the host's startThread runs in a thread, not an import
// of the engine: the engine itself stays free of Node. runSlice and the op codes come from ops.ts.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
const args = ctl.subarray(${ARGS}, ${SLICES});
const runSlice = (${sliceRunner.toString()})(${JSON.stringify(OP)});
let gen = Atomics.load(ctl, ${GEN});
parentPort.postMessage('ready');
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, ${GEN}) === gen) {
    if (++spins > ${SPIN}) { Atomics.wait(ctl, ${GEN}, gen); spins = 0; }
  }
  gen = Atomics.load(ctl, ${GEN});
  if (Atomics.load(ctl, ${EXIT}) !== 0) break;
  for (;;) {
    const c = Atomics.add(ctl, ${NEXT}, 1);
    if (c >= Atomics.load(ctl, ${NCHUNK})) break;
    const s = ${SLICES} + 4 * c;
    const r0 = ctl[s], r1 = ctl[s + 1], c0 = ctl[s + 2], c1 = ctl[s + 3];
    if (r1 > r0 && c1 > c0) runSlice(ex, ctl[${OP_SLOT}], args, c, r0, r1, c0, c1);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

/** Splits [0, n) into `parts` slices whose inner boundaries are multiples of `align`; returns slice k. */
function split(n: number, parts: number, align: number, k: number): [number, number] {
  const chunk = Math.ceil(n / parts / align) * align;
  return [Math.min(n, k * chunk), Math.min(n, (k + 1) * chunk)];
}

export class ThreadPool {
  /** This thread plus the workers (`start` starts them); 1 after `dispose`. */
  threads: number;
  private readonly ex: AssemblyExports;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (SLICES + 4 * MAX_CHUNKS)));
  private workers: ThreadHandle[] = [];

  /** `ex`: this thread's instance, which runs this thread's share of every job. */
  constructor(ex: AssemblyExports, threads: number) {
    this.ex = ex;
    this.threads = threads;
    this.control[NEXT] = CLOSED;
  }

  /** Resolves once every worker `start` asked for is running (or was left out: it could not start). */
  ready: Promise<void> = Promise.resolve();

  /**
   * Starts threads - 1 workers on `memory` without waiting for them (a thread takes ~50 ms to start):
   * jobs run meanwhile on the threads already there, from the calling thread alone at first, with the
   * same results (a late worker joins at the next job). A worker that cannot start is left out.
   */
  start(module: WebAssembly.Module, memory: WebAssembly.Memory, startThread: StartThread): void {
    const running: Promise<void>[] = [];
    const workers = this.threads - 1;
    for (let i = 0; i < workers; i++) {
      let worker: ThreadHandle;
      try {
        worker = startThread(workerSource, { module, memory, control: this.control.buffer as SharedArrayBuffer });
      } catch {
        this.threads--;
        continue;
      }
      worker.unref();
      running.push(new Promise((resolve) => {
        worker.once('message', () => resolve());
        worker.once('error', () => {
          this.leaveOut(worker);
          resolve();
        });
      }));
      this.workers.push(worker);
    }
    this.ready = Promise.all(running).then(() => undefined);
  }

  private leaveOut(worker: ThreadHandle): void {
    const at = this.workers.indexOf(worker);
    if (at < 0) return;
    this.workers.splice(at, 1);
    this.threads = Math.max(1, this.threads - 1);
    void worker.terminate();
  }

  /** Stops the workers; jobs run on this thread afterwards. */
  dispose(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, EXIT, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.threads = 1;
  }

  /**
   * Runs op over output rows [0,R) × columns [0,C) in chunks that every thread takes from a shared
   * counter: by rows (in multiples of rowAlign) when there are enough, else columns at multiples of 8.
   * Any thread may compute any chunk; each output element is computed the same way whoever does it.
   */
  dispatch(op: Op, args: number[], R: number, C: number, rowAlign: number): void {
    const T = this.threads;
    const ctl = this.control;
    const byRows = R >= 4 * T || C === 1;
    const units = byRows ? Math.ceil(R / rowAlign) : Math.ceil(C / 8);
    const chunks = Math.max(1, Math.min(MAX_CHUNKS, 4 * T, units));
    for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i];
    ctl[OP_SLOT] = op;
    for (let c = 0; c < chunks; c++) {
      const s = SLICES + 4 * c;
      if (byRows) {
        const [r0, r1] = split(R, chunks, rowAlign, c);
        ctl[s] = r0; ctl[s + 1] = r1; ctl[s + 2] = 0; ctl[s + 3] = C;
      } else {
        const [c0, c1] = split(C, chunks, 8, c);
        ctl[s] = 0; ctl[s + 1] = R; ctl[s + 2] = c0; ctl[s + 3] = c1;
      }
    }
    Atomics.store(ctl, NCHUNK, chunks);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    for (;;) {
      const c = Atomics.add(ctl, NEXT, 1);
      if (c >= chunks) break;
      const s = SLICES + 4 * c;
      const r0 = ctl[s], r1 = ctl[s + 1], c0 = ctl[s + 2], c1 = ctl[s + 3];
      if (r1 > r0 && c1 > c0) runSlice(this.ex, op, args, c, r0, r1, c0, c1);
      Atomics.add(ctl, DONE, 1);
    }
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= chunks) break;
      if (++spins > SPIN) Atomics.wait(ctl, DONE, done, 10);
    }
    Atomics.store(ctl, NEXT, CLOSED);
  }
}
