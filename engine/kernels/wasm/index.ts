/**
 * The WebAssembly kernels (paths 'wasm-simd' and 'wasm-relaxed-simd'): `createWasmKernels` picks the
 * build this runtime validates, compiles it, and puts together one shared WebAssembly.Memory that
 * every buffer of a model lives in, the worker threads that instantiate the same module on it, and the
 * kernel object the layers call. Threads split the output of an operation, never a reduction, so
 * results are bit-identical whatever the thread count.
 *
 * Reading files, starting threads and runtime flags are the caller's (a `WasmKernelHost`: Node's is
 * `nodeKernelHost` in engine/host.ts), so these files run anywhere WebAssembly SIMD does: without a
 * thread starter (a browser page) the kernels run on one thread.
 *
 * The parts, one job each:
 *   module.ts      the built module: its files, its memory's limits, its exports
 *   features.ts    whether this runtime has SIMD and relaxed SIMD
 *   arena.ts       the shared memory: allocation, and staging of arrays that live elsewhere
 *   ops.ts         the op codes and runSlice, the one slice of a job every thread runs
 *   pool.ts        the worker threads, their source, and how a job is cut and shared
 *   kernel-set.ts  the kernels: addresses of their arguments, here or on the threads
 *
 * Not here: choosing a path (engine/kernels/index.ts), the formulas (reference.ts, fused.ts).
 */
import { Arena } from './arena.ts';
import { relaxedSimdSupported, simdSupported } from './features.ts';
import { bindKernels, WasmKernelSet, type WasmKernels } from './kernel-set.ts';
import { INITIAL_PAGES, MAXIMUM_PAGES, WASM_FILES, type AssemblyExports } from './module.ts';
import { ThreadPool, type StartThread } from './pool.ts';

export { relaxedSimdSupported, simdSupported } from './features.ts';
export { WASM_FILES, wasmFileUrl } from './module.ts';
export type { ThreadData, ThreadHandle } from './pool.ts';
export type { WasmKernels } from './kernel-set.ts';

/** What the kernels need from the runtime they run in; engine/host.ts's `nodeKernelHost` is Node's. */
export interface WasmKernelHost {
  /** Reads a file of build/ (`wasmFileUrl(file)` says where it is beside this module); a browser fetches it by URL. */
  loadBytes: (file: string) => Promise<Uint8Array>;
  /**
   * Starts a thread evaluating `source` (CommonJS text that requires 'node:worker_threads' for its
   * parentPort and workerData). Absent: the kernels run on one thread whatever `threads` asks.
   */
  startThread?: StartThread;
  /** Lets this runtime validate relaxed SIMD where it sits behind a flag (Node 20: V8 11.3). Best effort. */
  enableRelaxedSimd?: () => void;
  /** Has the runtime compile every kernel optimized before it first runs (~15 ms here, once). Best effort. */
  compileUpFront?: () => void;
}

export interface WasmKernelOptions extends WasmKernelHost {
  /** Threads for the matrix products (1 = no workers). */
  threads?: number;
  /** true: demand relaxed SIMD; false: plain SIMD; undefined: relaxed when this runtime supports it. */
  relaxed?: boolean;
}

/**
 * WebAssembly kernels on `threads` threads (one without `startThread`). Path 'wasm-relaxed-simd' when
 * relaxed SIMD is asked for (or available, when not specified), else 'wasm-simd'. Throws when this
 * runtime has no SIMD, or when `loadBytes` is missing. Returns before the worker threads run: they
 * join as they start (`ready`), so a run's first steps do not wait for them.
 */
export async function createWasmKernels(options: WasmKernelOptions): Promise<WasmKernels> {
  const { loadBytes, startThread, enableRelaxedSimd, compileUpFront } = options ?? {};
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
  compileUpFront?.();
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = instance.exports as unknown as AssemblyExports;
  const pool = new ThreadPool(ex, threads);
  const set = new WasmKernelSet(relaxed ? 'wasm-relaxed-simd' : 'wasm-simd', new Arena(memory), pool, ex);
  if (startThread) pool.start(module, memory, startThread);
  return bindKernels(set);
}
