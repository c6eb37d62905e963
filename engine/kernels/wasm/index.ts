/**
 * The WebAssembly kernels (paths 'wasm-simd' and 'wasm-relaxed-simd'): loads build/kernels-*.wasm,
 * owns one shared WebAssembly.Memory that every buffer of a model lives in (`alloc`), and runs the
 * matrix products, panel packing, bias sums and cell steps on `threads` threads (this one plus
 * threads instantiating the same module on the same memory).
 *
 * Reading files, starting threads and runtime flags are the caller's (a `WasmKernelHost`: Node's is
 * `nodeKernelHost` in engine/host.ts), so this file runs anywhere WebAssembly SIMD does: without a
 * thread starter (a browser page) it runs on one thread.
 *
 * Threads split the OUTPUT of an operation (rows, columns at multiples of 8, or batch rows of a cell
 * step), never a reduction, so results are bit-identical whatever the thread count. They synchronise through Atomics on a small
 * shared Int32Array: the caller publishes a job and bumps a generation counter, each worker runs its
 * slice and counts itself done. Workers spin briefly before sleeping, so back-to-back products (one per
 * time step) do not pay a futex wake each.
 *
 * Arrays that do not live in this memory (a plain Float32Array) still work: they are copied into a
 * staging area and back. Correct, but slower — allocate model buffers with `alloc`.
 *
 * Not here: choosing a path (engine/kernels/index.ts), the formulas (reference.ts, fused.ts).
 */
import type { KernelPath, Kernels } from '../types.ts';
import type { CrossEntropyStats, FusedKernels } from '../fused.ts';

/** The imported memory's declared limits in 64 KiB pages (must match build.js). */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 32768;
/** Below this address AssemblyScript keeps its constant tables (math functions). */
const HEAP_BASE = 65536;
/** Products with fewer multiply-adds than this run on one thread: a hand-off costs a few microseconds. */
const THREAD_MIN_MACS = 1 << 18;
/** Cell steps with fewer batch-row × hidden elements than this run on one thread. */
const CELL_THREAD_MIN = 4096;
/** matmulAB (matmulAtB) copies w (b) into contiguous column panels when at least this many output rows read them. */
const PACK_MIN_ROWS = 8;

export const WASM_FILES = { simd: 'kernels-simd.wasm', relaxed: 'kernels-relaxed.wasm' } as const;

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

/** What the kernels need from the runtime they run in; engine/host.ts's `nodeKernelHost` is Node's. */
export interface WasmKernelHost {
  /** Reads a file of build/ (`wasmFileUrl(file)` says where it is beside this module); a browser fetches it by URL. */
  loadBytes: (file: string) => Promise<Uint8Array>;
  /**
   * Starts a thread evaluating `source` (CommonJS text that requires 'node:worker_threads' for its
   * parentPort and workerData). Absent: the kernels run on one thread whatever `threads` asks.
   */
  startThread?: (source: string, data: ThreadData) => ThreadHandle;
  /** Lets this runtime validate relaxed SIMD where it sits behind a flag (Node 20: V8 11.3). Best effort. */
  enableRelaxedSimd?: () => void;
}

export interface WasmKernelOptions extends WasmKernelHost {
  /** Threads for the matrix products (1 = no workers). */
  threads?: number;
  /** true: demand relaxed SIMD; false: plain SIMD; undefined: relaxed when this runtime supports it. */
  relaxed?: boolean;
}

export type WasmKernels = Kernels & Required<FusedKernels> & {
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  /** Stops the worker threads; the kernels keep working on one thread afterwards. */
  dispose(): void;
};

interface Exports {
  matmulABt(out: number, a: number, w: number, bias: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  matmulAB(out: number, a: number, w: number, packed: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  matmulAtB(out: number, a: number, b: number, scratch: number, packed: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  sumRows(out: number, a: number, M: number, N: number, n0: number, n1: number): void;
  packPanels(dst: number, w: number, N: number, K: number, c0: number, c1: number): void;
  lstmCellForward(gates: number, gStride: number, hh: number, c: number, h: number, cells: number, out: number, hPrev: number, stride: number, H: number, b0: number, b1: number): void;
  lstmCellBackward(dGates: number, dGatesStep: number, dh: number, dc: number, gates: number, gStride: number, cells: number, cPrev: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  gruCellForward(gates: number, gStride: number, hh: number, h: number, hn: number, out: number, hPrev: number, stride: number, H: number, b0: number, b1: number): void;
  gruCellBackward(dGatesI: number, dGatesH: number, dGatesStep: number, dh: number, gates: number, gStride: number, hn: number, hPrev: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  rnnCellForward(out: number, stride: number, hh: number, h: number, hPrev: number, H: number, b0: number, b1: number): void;
  rnnCellBackward(dPre: number, dPreStep: number, dh: number, out: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  crossEntropyForward(probs: number, logits: number, targets: number, N: number, V: number): number;
  lastCorrect(): number;
  crossEntropyBackward(dlogits: number, probs: number, targets: number, N: number, V: number): void;
  readonly ATB_SCRATCH_BYTES: WebAssembly.Global;
  adamStep(params: number, grads: number, m: number, v: number, n: number, lr: number, b1: number, b2: number, eps: number, wd: number, step: number): void;
}

// ---------------------------------------------------------------- feature detection and loading

/** A module whose only function uses f32x4.relaxed_madd: valid exactly when relaxed SIMD is. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b,
]);

const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0x0b,
]);

/**
 * Whether this runtime validates relaxed SIMD. Where it sits behind a flag (Node 20), `enable` turns
 * the flag on first (the host's `enableRelaxedSimd`; a runtime that refuses stays on plain SIMD).
 */
export function relaxedSimdSupported(enable?: () => void): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  enable?.();
  return WebAssembly.validate(RELAXED_PROBE);
}

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/** Where a file of build/ is: beside this module (bundled, beside the bundle: bin/bundle.js copies them there). */
export function wasmFileUrl(file: string): URL {
  return new URL(`./build/${file}`, import.meta.url);
}

// ---------------------------------------------------------------- threads

// Control block (Int32): 0 generation, 1 chunks done, 2 op, 3 exit, 4 chunk count, 5 next chunk to take;
// 8.. job arguments; 32 + 4c.. output slice of chunk c. Threads take chunks from `next` until none are
// left, so a descheduled worker (a busy machine) costs nothing: the others take its chunks.
const GEN = 0, DONE = 1, OP = 2, EXIT = 3, NCHUNK = 4, NEXT = 5, ARGS = 8, SLICES = 32;
const OP_ABT = 1, OP_AB = 2, OP_ATB = 3, OP_SUM_ROWS = 4, OP_LSTM_F = 5, OP_LSTM_B = 6, OP_GRU_F = 7, OP_GRU_B = 8, OP_RNN_F = 9, OP_RNN_B = 10, OP_PACK = 11;
const SPIN = 20000;
const MAX_CHUNKS = 64;
/** `next` between jobs: a late worker's take lands past any chunk count. */
const CLOSED = 1 << 30;

/**
 * One slice of a job: output rows [r0,r1) × columns [c0,c1) of a product, columns [c0,c1) of a column
 * sum, or batch rows [r0,r1) of a cell step; `a` holds the job's integer arguments, `chunk` the
 * slice's number (matmulAtB packs into scratch of its own: a[3] + chunk · a[8]). This thread and the
 * workers run the same function (the workers' source embeds its text), so it refers to nothing outside
 * itself: the op numbers are written out (OP_* above).
 */
function runSlice(ex: Exports, op: number, a: ArrayLike<number>, chunk: number, r0: number, r1: number, c0: number, c1: number): void {
  switch (op) {
    case 1: ex.matmulABt(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
    case 2: ex.matmulAB(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
    case 3: ex.matmulAtB(a[0], a[1], a[2], a[3] + chunk * a[8], a[9], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
    case 4: ex.sumRows(a[0], a[1], a[2], a[3], c0, c1); break;
    case 5: ex.lstmCellForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], r0, r1); break;
    case 6: ex.lstmCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], r0, r1); break;
    case 7: ex.gruCellForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], r0, r1); break;
    case 8: ex.gruCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], r0, r1); break;
    case 9: ex.rnnCellForward(a[0], a[1], a[2], a[3], a[4], a[5], r0, r1); break;
    case 10: ex.rnnCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], r0, r1); break;
    case 11: ex.packPanels(a[0], a[1], a[2], a[3], c0, c1); break;
  }
}

// Runs in each worker (CommonJS, evaluated from this string so no loader or bundler is involved). Its
// require('node:worker_threads') is code text the host's startThread runs in a thread, not an import
// of the engine: the engine itself stays free of Node.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
const args = ctl.subarray(${ARGS}, ${SLICES});
const runSlice = (${runSlice.toString()});
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
    if (r1 > r0 && c1 > c0) runSlice(ex, ctl[${OP}], args, c, r0, r1, c0, c1);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

/** Splits [0, n) into `parts` slices whose inner boundaries are multiples of `align`. */
function split(n: number, parts: number, align: number, k: number): [number, number] {
  const chunk = Math.ceil(n / parts / align) * align;
  return [Math.min(n, k * chunk), Math.min(n, (k + 1) * chunk)];
}

// ---------------------------------------------------------------- the kernels

class WasmKernelSet {
  readonly path: KernelPath;
  readonly memory: WebAssembly.Memory;
  threads: number;
  private readonly ex: Exports;
  private readonly buffers = new Set<ArrayBufferLike>();
  /** Arrays handed out by alloc: a WeakSet lookup is cheaper than the `.buffer` getter on every call. */
  private readonly owned = new WeakSet<Float32Array>();
  private lastBuffer: ArrayBufferLike;
  private packBase = 0;
  private packSize = 0;
  /** Which w (address, N, K) the pack scratch holds panels of, for matmulAB's sameW; -1: none. */
  private packedW = -1;
  private packedN = 0;
  private packedK = 0;
  private atbScratchBase = 0;
  private readonly atbScratchBytes: number;
  private top = HEAP_BASE;
  private readonly control: Int32Array;
  private workers: ThreadHandle[] = [];
  // staging for arrays outside the memory
  private stageBase = 0;
  private stageSize = 0;
  private stageTop = 0;
  private readonly copyBack: { src: Float32Array; dst: Float32Array; dstOff: number }[] = [];

  constructor(path: KernelPath, memory: WebAssembly.Memory, ex: Exports, threads: number) {
    this.path = path;
    this.memory = memory;
    this.ex = ex;
    this.threads = threads;
    this.atbScratchBytes = ex.ATB_SCRATCH_BYTES.value;
    this.buffers.add(memory.buffer);
    this.lastBuffer = memory.buffer;
    this.control = new Int32Array(new SharedArrayBuffer(4 * (SLICES + 4 * MAX_CHUNKS)));
    this.control[NEXT] = CLOSED;
  }

  async startWorkers(module: WebAssembly.Module, startThread: (source: string, data: ThreadData) => ThreadHandle): Promise<void> {
    if (this.threads <= 1) return;
    const ready: Promise<void>[] = [];
    for (let i = 1; i < this.threads; i++) {
      const worker = startThread(WORKER_SOURCE, { module, memory: this.memory, control: this.control.buffer as SharedArrayBuffer });
      worker.unref();
      ready.push(new Promise((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      }));
      this.workers.push(worker);
    }
    await Promise.all(ready);
  }

  dispose(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, EXIT, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.threads = 1;
  }

  // ---- memory

  alloc(length: number): Float32Array {
    const bytes = Math.max(64, (length * 4 + 63) & ~63);
    const ptr = this.reserve(bytes);
    const a = new Float32Array(this.memory.buffer, ptr, length);
    this.owned.add(a);
    return a;
  }

  private reserve(bytes: number): number {
    const ptr = this.top;
    const end = ptr + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / 65536);
      if (have / 65536 + pages > MAXIMUM_PAGES) {
        throw new Error(`The WebAssembly kernels' memory is full: ${(end / 2 ** 20).toFixed(0)} MiB asked, ${MAXIMUM_PAGES / 16} MiB at most. Use a smaller batch, window or model.`);
      }
      this.memory.grow(pages);
      this.lastBuffer = this.memory.buffer;
      this.buffers.add(this.lastBuffer);
    }
    this.top = end;
    return ptr;
  }

  private inMemory(a: Float32Array | Int32Array): boolean {
    if (this.owned.has(a as Float32Array)) return true;
    const buffer = a.buffer;
    return buffer === this.lastBuffer || this.buffers.has(buffer);
  }

  /** matmulAtB's packing scratch: one area per chunk, so the threads never share one. */
  private atbScratch(): number {
    if (this.atbScratchBase === 0) this.atbScratchBase = this.reserve(MAX_CHUNKS * this.atbScratchBytes);
    return this.atbScratchBase;
  }

  /** A scratch area of at least `floats` floats for packed panels, reused across calls. */
  private packScratch(floats: number): number {
    if (floats > this.packSize) {
      this.packSize = Math.max(floats, this.packSize * 2);
      this.packBase = this.reserve(this.packSize * 4);
    }
    return this.packBase;
  }

  /** Byte address of a[off]; arrays outside the memory are staged (copied in, and back after when `output`). */
  private ptr(a: Float32Array, off: number, length: number, copyIn: boolean, output: boolean): number {
    if (this.inMemory(a)) return a.byteOffset + 4 * off;
    const p = this.stage(length * 4);
    const view = new Float32Array(this.memory.buffer, p, length);
    if (copyIn) view.set(a.subarray(off, off + length));
    if (output) this.copyBack.push({ src: view, dst: a, dstOff: off });
    return p;
  }

  private ptrI32(a: Int32Array, off: number, length: number): number {
    if (this.inMemory(a)) return a.byteOffset + 4 * off;
    const p = this.stage(length * 4);
    new Int32Array(this.memory.buffer, p, length).set(a.subarray(off, off + length));
    return p;
  }

  private stage(bytes: number): number {
    const need = this.stageTop + ((bytes + 63) & ~63);
    if (need > this.stageSize) {
      // a fresh, larger area; the old one is abandoned (staging is the slow path anyway)
      const size = Math.max(need * 2, 1 << 20);
      this.stageBase = this.reserve(size);
      this.stageSize = size;
      this.stageTop = 0;
      if (need > size) throw new Error('staging overflow');
    }
    const p = this.stageBase + this.stageTop;
    this.stageTop += (bytes + 63) & ~63;
    return p;
  }

  private finish(): void {
    if (this.copyBack.length === 0 && this.stageTop === 0) return;
    for (const { src, dst, dstOff } of this.copyBack) dst.set(src, dstOff);
    this.copyBack.length = 0;
    this.stageTop = 0;
  }

  // ---- threads

  /**
   * Runs op over output rows [0,R) × columns [0,C) in chunks that every thread takes from a shared
   * counter: by rows (in multiples of rowAlign) when there are enough, else columns at multiples of 8.
   * Any thread may compute any chunk; each output element is computed the same way whoever does it.
   */
  private dispatch(op: number, args: number[], R: number, C: number, rowAlign: number): void {
    const T = this.threads;
    const ctl = this.control;
    const byRows = R >= 4 * T || C === 1;
    const units = byRows ? Math.ceil(R / rowAlign) : Math.ceil(C / 8);
    const chunks = Math.max(1, Math.min(MAX_CHUNKS, 4 * T, units));
    for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i];
    ctl[OP] = op;
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

  /** One product over output rows [0,R) × columns [0,C): on this thread when small, else split. */
  private run(op: number, args: number[], R: number, C: number, rowAlign: number, macs: number): void {
    if (this.threads > 1 && macs >= THREAD_MIN_MACS) this.dispatch(op, args, R, C, rowAlign);
    else runSlice(this.ex, op, args, 0, 0, R, 0, C);
  }

  /** Copies m's 8-column blocks (rows × cols) into contiguous panels in the pack scratch; returns its address. */
  private packColumns(m: number, rows: number, cols: number): number {
    const packed = this.packScratch(rows * (cols & ~7));
    const args = [packed, m, rows, cols];
    if (this.threads > 1 && rows * cols >= THREAD_MIN_MACS / 8 && cols >= 16 * this.threads) this.dispatch(OP_PACK, args, 1, cols, 1);
    else runSlice(this.ex, OP_PACK, args, 0, 0, 1, 0, cols);
    return packed;
  }

  /** One cell step over batch rows [0,B): split by rows when the batch gives every thread enough work. */
  private runCell(op: number, args: number[], B: number, H: number): void {
    if (this.threads > 1 && B >= 2 * this.threads && B * H >= CELL_THREAD_MIN) this.dispatch(op, args, B, 1, 1);
    else runSlice(this.ex, op, args, 0, 0, B, 0, 1);
  }

  // ---- Kernels

  matmulABt(out: Float32Array, outOff: number, a: Float32Array, aOff: number, w: Float32Array, wOff: number,
    bias: Float32Array | null, biasOff: number, M: number, N: number, K: number, accumulate: boolean): void {
    if (M <= 0 || N <= 0) return;
    const pa = this.ptr(a, aOff, M * K, true, false);
    const pw = this.ptr(w, wOff, N * K, true, false);
    const pb = bias === null ? 0 : this.ptr(bias, biasOff, N, true, false);
    const po = this.ptr(out, outOff, M * N, accumulate, true);
    this.run(OP_ABT, [po, pa, pw, pb, M, N, K, accumulate ? 1 : 0], M, N, 2, M * N * K);
    this.finish();
  }

  matmulAB(out: Float32Array, outOff: number, a: Float32Array, aOff: number, w: Float32Array, wOff: number,
    M: number, N: number, K: number, accumulate: boolean, sameW = false): void {
    if (M <= 0 || K <= 0) return;
    const pa = this.ptr(a, aOff, M * N, true, false);
    const pw = this.ptr(w, wOff, N * K, true, false);
    const po = this.ptr(out, outOff, M * K, accumulate, true);
    // pack w's 8-column panels once when enough rows reuse them
    let packed = 0;
    if (M >= PACK_MIN_ROWS && K >= 8) {
      // a recurrent backward multiplies by the same W_hh at every step: its panels are packed once
      const reuse = sameW && this.packedW === pw && this.packedN === N && this.packedK === K;
      packed = reuse ? this.packScratch(N * (K & ~7)) : this.packColumns(pw, N, K);
      this.packedW = pw; this.packedN = N; this.packedK = K;
    }
    this.run(OP_AB, [po, pa, pw, packed, M, N, K, accumulate ? 1 : 0], M, K, 4, M * N * K);
    this.finish();
  }

  matmulAtB(out: Float32Array, outOff: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
    M: number, N: number, K: number, accumulate: boolean): void {
    if (N <= 0 || K <= 0) return;
    const pa = this.ptr(a, aOff, M * N, true, false);
    const pb = this.ptr(b, bOff, M * K, true, false);
    const po = this.ptr(out, outOff, N * K, accumulate, true);
    // b's column panels, when enough output rows reuse them
    const packed = N >= PACK_MIN_ROWS && K >= 8 && M >= 16 ? this.packColumns(pb, M, K) : 0;
    if (packed !== 0) this.packedW = -1; // the pack scratch no longer holds matmulAB's panels
    this.run(OP_ATB, [po, pa, pb, this.atbScratch(), M, N, K, accumulate ? 1 : 0, this.atbScratchBytes, packed], N, K, 4, M * N * K);
    this.finish();
  }

  sumRows(out: Float32Array, outOff: number, a: Float32Array, aOff: number, M: number, N: number): void {
    const pa = this.ptr(a, aOff, M * N, true, false);
    const po = this.ptr(out, outOff, N, true, true);
    // columns are independent sums over the rows in order: any split of them gives the same result
    if (this.threads > 1 && M * N >= THREAD_MIN_MACS && N >= 16 * this.threads) this.dispatch(OP_SUM_ROWS, [po, pa, M, N], 1, N, 1);
    else this.ex.sumRows(po, pa, M, N, 0, N);
    this.finish();
  }

  // ---- FusedKernels (split over batch rows when the batch is large enough)

  /** Extent in elements of B rows of `width` values spaced `stride` apart. */
  private static rows(B: number, stride: number, width: number): number {
    return B > 0 ? (B - 1) * stride + width : 0;
  }

  lstmCellForward(gates: Float32Array, gatesOff: number, gatesStride: number, hh: Float32Array, hhOff: number,
    c: Float32Array, cOff: number, h: Float32Array, hOff: number, cells: Float32Array, cellsOff: number,
    out: Float32Array, outOff: number, hPrev: Float32Array | null, hPrevOff: number, stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const pg = this.ptr(gates, gatesOff, rows(B, gatesStride, 4 * H), true, true);
    const phh = this.ptr(hh, hhOff, B * 4 * H, true, false);
    const pc = this.ptr(c, cOff, B * H, true, true);
    const ph = this.ptr(h, hOff, B * H, true, true);
    const ext = rows(B, stride, H);
    const pcells = this.ptr(cells, cellsOff, ext, true, true);
    const pout = this.ptr(out, outOff, ext, true, true);
    const php = hPrev === null ? 0 : this.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP_LSTM_F, [pg, gatesStride, phh, pc, ph, pcells, pout, php, stride, H], B, H);
    this.finish();
  }

  lstmCellBackward(dGates: Float32Array, dGatesOff: number, gatesStride: number, dGatesStep: Float32Array | null, dGatesStepOff: number,
    dh: Float32Array, dhOff: number, dc: Float32Array, dcOff: number, gates: Float32Array, gatesOff: number,
    cells: Float32Array, cellsOff: number, cPrev: Float32Array | null, cPrevOff: number, dout: Float32Array, doutOff: number,
    stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const gext = rows(B, gatesStride, 4 * H);
    const ext = rows(B, stride, H);
    const pdg = this.ptr(dGates, dGatesOff, gext, true, true);
    const pdgs = dGatesStep === null ? 0 : this.ptr(dGatesStep, dGatesStepOff, B * 4 * H, false, true);
    const pdh = this.ptr(dh, dhOff, B * H, true, false);
    const pdc = this.ptr(dc, dcOff, B * H, true, true);
    const pg = this.ptr(gates, gatesOff, gext, true, false);
    const pcells = this.ptr(cells, cellsOff, ext, true, false);
    const pcp = cPrev === null ? 0 : this.ptr(cPrev, cPrevOff, ext, true, false);
    const pdout = this.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP_LSTM_B, [pdg, pdgs, pdh, pdc, pg, gatesStride, pcells, pcp, pdout, stride, H], B, H);
    this.finish();
  }

  gruCellForward(gates: Float32Array, gatesOff: number, gatesStride: number, hh: Float32Array, hhOff: number,
    h: Float32Array, hOff: number, hn: Float32Array, hnOff: number, out: Float32Array, outOff: number,
    hPrev: Float32Array | null, hPrevOff: number, stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const ext = rows(B, stride, H);
    const pg = this.ptr(gates, gatesOff, rows(B, gatesStride, 3 * H), true, true);
    const phh = this.ptr(hh, hhOff, B * 3 * H, true, false);
    const ph = this.ptr(h, hOff, B * H, true, true);
    const phn = this.ptr(hn, hnOff, ext, true, true);
    const pout = this.ptr(out, outOff, ext, true, true);
    const php = hPrev === null ? 0 : this.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP_GRU_F, [pg, gatesStride, phh, ph, phn, pout, php, stride, H], B, H);
    this.finish();
  }

  gruCellBackward(dGatesI: Float32Array, dGatesIOff: number, dGatesH: Float32Array, dGatesHOff: number, gatesStride: number,
    dGatesStep: Float32Array | null, dGatesStepOff: number, dh: Float32Array, dhOff: number,
    gates: Float32Array, gatesOff: number, hn: Float32Array, hnOff: number, hPrev: Float32Array, hPrevOff: number,
    dout: Float32Array, doutOff: number, stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const gext = rows(B, gatesStride, 3 * H);
    const ext = rows(B, stride, H);
    const pdi = this.ptr(dGatesI, dGatesIOff, gext, true, true);
    const pdh2 = this.ptr(dGatesH, dGatesHOff, gext, true, true);
    const pdgs = dGatesStep === null ? 0 : this.ptr(dGatesStep, dGatesStepOff, B * 3 * H, false, true);
    const pdh = this.ptr(dh, dhOff, B * H, true, true);
    const pg = this.ptr(gates, gatesOff, gext, true, false);
    const phn = this.ptr(hn, hnOff, ext, true, false);
    const php = this.ptr(hPrev, hPrevOff, ext, true, false);
    const pdout = this.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP_GRU_B, [pdi, pdh2, pdgs, pdh, pg, gatesStride, phn, php, pdout, stride, H], B, H);
    this.finish();
  }

  rnnCellForward(out: Float32Array, outOff: number, hh: Float32Array, hhOff: number, h: Float32Array, hOff: number,
    hPrev: Float32Array | null, hPrevOff: number, stride: number, B: number, H: number): void {
    const ext = WasmKernelSet.rows(B, stride, H);
    const pout = this.ptr(out, outOff, ext, true, true);
    const phh = this.ptr(hh, hhOff, B * H, true, false);
    const ph = this.ptr(h, hOff, B * H, true, true);
    const php = hPrev === null ? 0 : this.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP_RNN_F, [pout, stride, phh, ph, php, H], B, H);
    this.finish();
  }

  rnnCellBackward(dPre: Float32Array, dPreOff: number, dPreStep: Float32Array | null, dPreStepOff: number,
    dh: Float32Array, dhOff: number, out: Float32Array, outOff: number, dout: Float32Array, doutOff: number,
    stride: number, B: number, H: number): void {
    const ext = WasmKernelSet.rows(B, stride, H);
    const pd = this.ptr(dPre, dPreOff, ext, true, true);
    const pds = dPreStep === null ? 0 : this.ptr(dPreStep, dPreStepOff, B * H, false, true);
    const pdh = this.ptr(dh, dhOff, B * H, true, false);
    const pout = this.ptr(out, outOff, ext, true, false);
    const pdout = this.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP_RNN_B, [pd, pds, pdh, pout, pdout, stride, H], B, H);
    this.finish();
  }

  crossEntropyForward(probs: Float32Array, probsOff: number, logits: Float32Array, logitsOff: number,
    targets: Int32Array, targetsOff: number, N: number, V: number): CrossEntropyStats {
    for (let n = 0; n < N; n++) {
      const y = targets[targetsOff + n];
      if (!(y >= 0 && y < V)) throw new Error(`Target id ${y} at position ${n} is outside the vocabulary (ids 0 to ${V - 1}).`);
    }
    const pp = this.ptr(probs, probsOff, N * V, false, true);
    const pl = this.ptr(logits, logitsOff, N * V, true, false);
    const pt = this.ptrI32(targets, targetsOff, N);
    const total = this.ex.crossEntropyForward(pp, pl, pt, N, V);
    const correct = this.ex.lastCorrect();
    this.finish();
    return { loss: total / N, correct };
  }

  crossEntropyBackward(dlogits: Float32Array, dlogitsOff: number, probs: Float32Array, probsOff: number,
    targets: Int32Array, targetsOff: number, N: number, V: number): void {
    const pd = this.ptr(dlogits, dlogitsOff, N * V, true, true);
    const pp = this.ptr(probs, probsOff, N * V, true, false);
    const pt = this.ptrI32(targets, targetsOff, N);
    this.ex.crossEntropyBackward(pd, pp, pt, N, V);
    this.finish();
  }

  adamStep(params: Float32Array, grads: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, off: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void {
    const pp = this.ptr(params, off, n, true, true);
    const pg = this.ptr(grads, off, n, true, false);
    const pm = this.ptr(expAvg, off, n, true, true);
    const pv = this.ptr(expAvgSq, off, n, true, true);
    this.ex.adamStep(pp, pg, pm, pv, n, lr, beta1, beta2, eps, weightDecay, step);
    this.finish();
  }
}

/**
 * WebAssembly kernels on `threads` threads (one without `startThread`). Path 'wasm-relaxed-simd' when
 * relaxed SIMD is asked for (or available, when not specified), else 'wasm-simd'. Throws when this
 * runtime has no SIMD, or when `loadBytes` is missing.
 */
export async function createWasmKernels(options: WasmKernelOptions): Promise<WasmKernels> {
  const { loadBytes, startThread, enableRelaxedSimd } = options ?? {};
  if (typeof loadBytes !== 'function') {
    throw new Error('createWasmKernels needs options.loadBytes to read its .wasm files (in Node, pass nodeKernelHost from engine/host.ts; in a page, fetch them by URL).');
  }
  const threads = startThread ? Math.max(1, Math.min(64, Math.floor(options.threads ?? 1))) : 1;
  if (!simdSupported()) throw new Error('This JavaScript runtime has no WebAssembly SIMD; use the TypeScript kernels.');
  let relaxed = options.relaxed;
  if (relaxed === undefined) relaxed = relaxedSimdSupported(enableRelaxedSimd);
  else if (relaxed && !relaxedSimdSupported(enableRelaxedSimd)) throw new Error('This JavaScript runtime has no relaxed WebAssembly SIMD.');
  const file = relaxed ? WASM_FILES.relaxed : WASM_FILES.simd;
  const bytes = await loadBytes(file);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const set = new WasmKernelSet(relaxed ? 'wasm-relaxed-simd' : 'wasm-simd', memory, instance.exports as unknown as Exports, threads);
  if (startThread) await set.startWorkers(module, startThread);
  return bindAll(set);
}

/** The kernel object handed to layers: plain bound functions, so `const { matmulAB } = kernels` works too. */
function bindAll(set: WasmKernelSet): WasmKernels {
  return {
    path: set.path,
    get threads() { return set.threads; },
    memory: set.memory,
    dispose: () => set.dispose(),
    alloc: set.alloc.bind(set),
    matmulABt: set.matmulABt.bind(set),
    matmulAB: set.matmulAB.bind(set),
    matmulAtB: set.matmulAtB.bind(set),
    sumRows: set.sumRows.bind(set),
    lstmCellForward: set.lstmCellForward.bind(set),
    lstmCellBackward: set.lstmCellBackward.bind(set),
    gruCellForward: set.gruCellForward.bind(set),
    gruCellBackward: set.gruCellBackward.bind(set),
    rnnCellForward: set.rnnCellForward.bind(set),
    rnnCellBackward: set.rnnCellBackward.bind(set),
    crossEntropyForward: set.crossEntropyForward.bind(set),
    crossEntropyBackward: set.crossEntropyBackward.bind(set),
    adamStep: set.adamStep.bind(set),
  };
}
