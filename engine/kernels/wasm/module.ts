/**
 * The built WebAssembly module as JavaScript sees it: its two files (build/kernels-*.wasm), where they
 * are, the limits of the shared memory it imports, and the functions it exports (the signatures of
 * assembly/index.ts, every pointer a byte address into that memory).
 *
 * Not here: building it (build.js), loading and instantiating it (index.ts), calling it (ops.ts,
 * kernel-set.ts).
 */

export const WASM_FILES = { simd: 'kernels-simd.wasm', relaxed: 'kernels-relaxed.wasm' } as const;

/** Where a file of build/ is: beside this module (bundled, beside the bundle: bin/bundle.js copies them there). */
export function wasmFileUrl(file: string): URL {
  return new URL(`./build/${file}`, import.meta.url);
}

/** The imported memory's declared limits in 64 KiB pages (must match build.js). */
export const INITIAL_PAGES = 16;
export const MAXIMUM_PAGES = 32768;
/** Below this address AssemblyScript keeps its constant tables (math functions). */
export const HEAP_BASE = 65536;

/** The module's exports (assembly/index.ts). */
export interface AssemblyExports {
  matmulABt(out: number, a: number, w: number, bias: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  matmulAB(out: number, a: number, w: number, packed: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  matmulAtB(out: number, a: number, b: number, scratch: number, packed: number, M: number, N: number, K: number, acc: number, r0: number, r1: number, c0: number, c1: number): void;
  sumRows(out: number, a: number, M: number, N: number, n0: number, n1: number): void;
  zero(a: number, n: number): void;
  sumSquares(a: number, n: number): number;
  gatherRows(out: number, table: number, ids: number, N: number, C: number): void;
  scatterAddRows(out: number, a: number, ids: number, N: number, C: number): void;
  packPanels(dst: number, w: number, N: number, K: number, c0: number, c1: number): void;
  lstmCellForward(gates: number, gStride: number, hh: number, c: number, h: number, cells: number, out: number, hPrev: number, stride: number, H: number, b0: number, b1: number): void;
  lstmCellBackward(dGates: number, dGatesStep: number, dh: number, dc: number, gates: number, gStride: number, cells: number, cPrev: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  gruCellForward(gates: number, gStride: number, hh: number, h: number, hn: number, out: number, hPrev: number, stride: number, H: number, b0: number, b1: number): void;
  gruCellBackward(dGatesI: number, dGatesH: number, dGatesStep: number, dh: number, gates: number, gStride: number, hn: number, hPrev: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  rnnCellForward(out: number, stride: number, hh: number, h: number, hPrev: number, H: number, b0: number, b1: number): void;
  rnnCellBackward(dPre: number, dPreStep: number, dh: number, out: number, dout: number, stride: number, H: number, b0: number, b1: number): void;
  lstmForwardRows(gates: number, cells: number, out: number, hPrev: number, hh: number, h: number, c: number, w: number, bias: number, B: number, T: number, H: number, b0: number, b1: number): void;
  lstmBackwardRows(dGates: number, dGatesStep: number, dh: number, dc: number, gates: number, cells: number, dout: number, w: number, packed: number, B: number, T: number, H: number, b0: number, b1: number): void;
  gruForwardRows(gates: number, hn: number, out: number, hPrev: number, hh: number, h: number, w: number, bias: number, B: number, T: number, H: number, b0: number, b1: number): void;
  gruBackwardRows(dGatesI: number, dGatesH: number, dGatesStep: number, dh: number, gates: number, hn: number, hPrev: number, dout: number, w: number, packed: number, B: number, T: number, H: number, b0: number, b1: number): void;
  rnnForwardRows(out: number, hPrev: number, hh: number, h: number, w: number, bias: number, B: number, T: number, H: number, b0: number, b1: number): void;
  rnnBackwardRows(dPre: number, dPreStep: number, dh: number, out: number, dout: number, w: number, packed: number, B: number, T: number, H: number, b0: number, b1: number): void;
  crossEntropyForward(probs: number, logits: number, targets: number, N: number, V: number): number;
  lastCorrect(): number;
  crossEntropyBackward(dlogits: number, probs: number, targets: number, N: number, V: number, meanOver: number): void;
  readonly ATB_SCRATCH_BYTES: WebAssembly.Global;
  adamStep(params: number, grads: number, m: number, v: number, n: number, lr: number, b1: number, b2: number, eps: number, wd: number, step: number): void;
}
