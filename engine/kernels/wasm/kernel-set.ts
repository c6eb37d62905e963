/**
 * The WebAssembly kernel set: the `Kernels` and `FusedKernels` methods, each turning its arrays and
 * offsets into byte addresses (arena.ts), deciding whether the job is large enough to share among the
 * threads (pool.ts) or runs here, and calling the module through its op code (ops.ts). It also keeps
 * the packed-panel scratch that the products reuse, and checks targets before cross-entropy.
 *
 * Not here: the formulas (the module: assembly/index.ts; their definitions: ../reference.ts,
 * ../fused.ts), threads, memory, loading (pool.ts, arena.ts, index.ts).
 */
import type { KernelPath, Kernels } from '../types.ts';
import type { CrossEntropyStats, FusedKernels } from '../fused.ts';
import type { Arena } from './arena.ts';
import type { AssemblyExports } from './module.ts';
import { OP, runSlice, type Op } from './ops.ts';
import { MAX_CHUNKS, type ThreadPool } from './pool.ts';

/** Products with fewer multiply-adds than this run on one thread: a hand-off costs a few microseconds. */
const THREAD_MIN_MACS = 1 << 18;
/** Cell steps with fewer batch-row × hidden elements than this run on one thread. */
const CELL_THREAD_MIN = 4096;
/** matmulAB (matmulAtB) copies w (b) into contiguous column panels when at least this many output rows read them. */
const PACK_MIN_ROWS = 8;

export type WasmKernels = Kernels & Required<FusedKernels> & {
  /** Threads the products may use: the calling thread and the workers asked for (less any that could not start). */
  readonly threads: number;
  /** Resolves once every worker thread is running; until then jobs run on those already there (same results). */
  readonly ready: Promise<void>;
  readonly memory: WebAssembly.Memory;
  /** Stops the worker threads; the kernels keep working on one thread afterwards. */
  dispose(): void;
};

export class WasmKernelSet {
  readonly path: KernelPath;
  readonly arena: Arena;
  readonly pool: ThreadPool;
  private readonly ex: AssemblyExports;
  private packBase = 0;
  private packSize = 0;
  /** Which w (address, N, K) the pack scratch holds panels of, for matmulAB's sameW; -1: none. */
  private packedW = -1;
  private packedN = 0;
  private packedK = 0;
  private atbScratchBase = 0;
  private readonly atbScratchBytes: number;

  constructor(path: KernelPath, arena: Arena, pool: ThreadPool, ex: AssemblyExports) {
    this.path = path;
    this.arena = arena;
    this.pool = pool;
    this.ex = ex;
    this.atbScratchBytes = ex.ATB_SCRATCH_BYTES.value;
  }

  // ---- scratch

  /** matmulAtB's packing scratch: one area per chunk, so the threads never share one. */
  private atbScratch(): number {
    if (this.atbScratchBase === 0) this.atbScratchBase = this.arena.reserve(MAX_CHUNKS * this.atbScratchBytes);
    return this.atbScratchBase;
  }

  /** A scratch area of at least `floats` floats for packed panels, reused across calls. */
  private packScratch(floats: number): number {
    if (floats > this.packSize) {
      this.packSize = Math.max(floats, this.packSize * 2);
      this.packBase = this.arena.reserve(this.packSize * 4);
    }
    return this.packBase;
  }

  // ---- here or on the threads

  /** One product over output rows [0,R) × columns [0,C): on this thread when small, else split. */
  private run(op: Op, args: number[], R: number, C: number, rowAlign: number, macs: number): void {
    if (this.pool.threads > 1 && macs >= THREAD_MIN_MACS) this.pool.dispatch(op, args, R, C, rowAlign);
    else runSlice(this.ex, op, args, 0, 0, R, 0, C);
  }

  /** Copies m's 8-column blocks (rows × cols) into contiguous panels in the pack scratch; returns its address. */
  private packColumns(m: number, rows: number, cols: number): number {
    const packed = this.packScratch(rows * (cols & ~7));
    const args = [packed, m, rows, cols];
    const threads = this.pool.threads;
    if (threads > 1 && rows * cols >= THREAD_MIN_MACS / 8 && cols >= 16 * threads) this.pool.dispatch(OP.packPanels, args, 1, cols, 1);
    else runSlice(this.ex, OP.packPanels, args, 0, 0, 1, 0, cols);
    return packed;
  }

  /** One cell step over batch rows [0,B): split by rows when the batch gives every thread enough work. */
  private runCell(op: Op, args: number[], B: number, H: number): void {
    const threads = this.pool.threads;
    if (threads > 1 && B >= 2 * threads && B * H >= CELL_THREAD_MIN) this.pool.dispatch(op, args, B, 1, 1);
    else runSlice(this.ex, op, args, 0, 0, B, 0, 1);
  }

  // ---- Kernels

  matmulABt(out: Float32Array, outOff: number, a: Float32Array, aOff: number, w: Float32Array, wOff: number,
    bias: Float32Array | null, biasOff: number, M: number, N: number, K: number, accumulate: boolean): void {
    if (M <= 0 || N <= 0) return;
    const pa = this.arena.ptr(a, aOff, M * K, true, false);
    const pw = this.arena.ptr(w, wOff, N * K, true, false);
    const pb = bias === null ? 0 : this.arena.ptr(bias, biasOff, N, true, false);
    const po = this.arena.ptr(out, outOff, M * N, accumulate, true);
    this.run(OP.matmulABt, [po, pa, pw, pb, M, N, K, accumulate ? 1 : 0], M, N, 2, M * N * K);
    this.arena.finish();
  }

  matmulAB(out: Float32Array, outOff: number, a: Float32Array, aOff: number, w: Float32Array, wOff: number,
    M: number, N: number, K: number, accumulate: boolean, sameW = false): void {
    if (M <= 0 || K <= 0) return;
    const pa = this.arena.ptr(a, aOff, M * N, true, false);
    const pw = this.arena.ptr(w, wOff, N * K, true, false);
    const po = this.arena.ptr(out, outOff, M * K, accumulate, true);
    // pack w's 8-column panels once when enough rows reuse them
    let packed = 0;
    if (M >= PACK_MIN_ROWS && K >= 8) {
      // a recurrent backward multiplies by the same W_hh at every step: its panels are packed once
      const reuse = sameW && this.packedW === pw && this.packedN === N && this.packedK === K;
      packed = reuse ? this.packScratch(N * (K & ~7)) : this.packColumns(pw, N, K);
      this.packedW = pw; this.packedN = N; this.packedK = K;
    }
    this.run(OP.matmulAB, [po, pa, pw, packed, M, N, K, accumulate ? 1 : 0], M, K, 4, M * N * K);
    this.arena.finish();
  }

  matmulAtB(out: Float32Array, outOff: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number,
    M: number, N: number, K: number, accumulate: boolean): void {
    if (N <= 0 || K <= 0) return;
    const pa = this.arena.ptr(a, aOff, M * N, true, false);
    const pb = this.arena.ptr(b, bOff, M * K, true, false);
    const po = this.arena.ptr(out, outOff, N * K, accumulate, true);
    // b's column panels, when enough output rows reuse them
    const packed = N >= PACK_MIN_ROWS && K >= 8 && M >= 16 ? this.packColumns(pb, M, K) : 0;
    if (packed !== 0) this.packedW = -1; // the pack scratch no longer holds matmulAB's panels
    this.run(OP.matmulAtB, [po, pa, pb, this.atbScratch(), M, N, K, accumulate ? 1 : 0, this.atbScratchBytes, packed], N, K, 4, M * N * K);
    this.arena.finish();
  }

  sumRows(out: Float32Array, outOff: number, a: Float32Array, aOff: number, M: number, N: number): void {
    const pa = this.arena.ptr(a, aOff, M * N, true, false);
    const po = this.arena.ptr(out, outOff, N, true, true);
    // columns are independent sums over the rows in order: any split of them gives the same result
    if (this.pool.threads > 1 && M * N >= THREAD_MIN_MACS && N >= 16 * this.pool.threads) this.pool.dispatch(OP.sumRows, [po, pa, M, N], 1, N, 1);
    else this.ex.sumRows(po, pa, M, N, 0, N);
    this.arena.finish();
  }

  zero(a: Float32Array, off: number, n: number): void {
    if (n <= 0) return;
    this.ex.zero(this.arena.ptr(a, off, n, false, true), n);
    this.arena.finish();
  }

  sumSquares(a: Float32Array, off: number, n: number): number {
    const sum = this.ex.sumSquares(this.arena.ptr(a, off, n, true, false), n);
    this.arena.finish();
    return sum;
  }

  // Row lookups move little data per id: one thread. Ids are checked here, as the module trusts them.

  gatherRows(out: Float32Array, outOff: number, table: Float32Array, tableOff: number, ids: Int32Array, idsOff: number, N: number, C: number): void {
    const rows = checkIds(ids, idsOff, N, table.length - tableOff, C);
    const pt = this.arena.ptr(table, tableOff, rows * C, true, false);
    const pi = this.arena.ptrI32(ids, idsOff, N);
    const po = this.arena.ptr(out, outOff, N * C, false, true);
    this.ex.gatherRows(po, pt, pi, N, C);
    this.arena.finish();
  }

  scatterAddRows(out: Float32Array, outOff: number, a: Float32Array, aOff: number, ids: Int32Array, idsOff: number, N: number, C: number): void {
    const rows = checkIds(ids, idsOff, N, out.length - outOff, C);
    const pa = this.arena.ptr(a, aOff, N * C, true, false);
    const pi = this.arena.ptrI32(ids, idsOff, N);
    const po = this.arena.ptr(out, outOff, rows * C, true, true);
    this.ex.scatterAddRows(po, pa, pi, N, C);
    this.arena.finish();
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
    const pg = this.arena.ptr(gates, gatesOff, rows(B, gatesStride, 4 * H), true, true);
    const phh = this.arena.ptr(hh, hhOff, B * 4 * H, true, false);
    const pc = this.arena.ptr(c, cOff, B * H, true, true);
    const ph = this.arena.ptr(h, hOff, B * H, true, true);
    const ext = rows(B, stride, H);
    const pcells = this.arena.ptr(cells, cellsOff, ext, true, true);
    const pout = this.arena.ptr(out, outOff, ext, true, true);
    const php = hPrev === null ? 0 : this.arena.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP.lstmCellForward, [pg, gatesStride, phh, pc, ph, pcells, pout, php, stride, H], B, H);
    this.arena.finish();
  }

  lstmCellBackward(dGates: Float32Array, dGatesOff: number, gatesStride: number, dGatesStep: Float32Array | null, dGatesStepOff: number,
    dh: Float32Array, dhOff: number, dc: Float32Array, dcOff: number, gates: Float32Array, gatesOff: number,
    cells: Float32Array, cellsOff: number, cPrev: Float32Array | null, cPrevOff: number, dout: Float32Array, doutOff: number,
    stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const gext = rows(B, gatesStride, 4 * H);
    const ext = rows(B, stride, H);
    const pdg = this.arena.ptr(dGates, dGatesOff, gext, true, true);
    const pdgs = dGatesStep === null ? 0 : this.arena.ptr(dGatesStep, dGatesStepOff, B * 4 * H, false, true);
    const pdh = this.arena.ptr(dh, dhOff, B * H, true, false);
    const pdc = this.arena.ptr(dc, dcOff, B * H, true, true);
    const pg = this.arena.ptr(gates, gatesOff, gext, true, false);
    const pcells = this.arena.ptr(cells, cellsOff, ext, true, false);
    const pcp = cPrev === null ? 0 : this.arena.ptr(cPrev, cPrevOff, ext, true, false);
    const pdout = this.arena.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP.lstmCellBackward, [pdg, pdgs, pdh, pdc, pg, gatesStride, pcells, pcp, pdout, stride, H], B, H);
    this.arena.finish();
  }

  gruCellForward(gates: Float32Array, gatesOff: number, gatesStride: number, hh: Float32Array, hhOff: number,
    h: Float32Array, hOff: number, hn: Float32Array, hnOff: number, out: Float32Array, outOff: number,
    hPrev: Float32Array | null, hPrevOff: number, stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const ext = rows(B, stride, H);
    const pg = this.arena.ptr(gates, gatesOff, rows(B, gatesStride, 3 * H), true, true);
    const phh = this.arena.ptr(hh, hhOff, B * 3 * H, true, false);
    const ph = this.arena.ptr(h, hOff, B * H, true, true);
    const phn = this.arena.ptr(hn, hnOff, ext, true, true);
    const pout = this.arena.ptr(out, outOff, ext, true, true);
    const php = hPrev === null ? 0 : this.arena.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP.gruCellForward, [pg, gatesStride, phh, ph, phn, pout, php, stride, H], B, H);
    this.arena.finish();
  }

  gruCellBackward(dGatesI: Float32Array, dGatesIOff: number, dGatesH: Float32Array, dGatesHOff: number, gatesStride: number,
    dGatesStep: Float32Array | null, dGatesStepOff: number, dh: Float32Array, dhOff: number,
    gates: Float32Array, gatesOff: number, hn: Float32Array, hnOff: number, hPrev: Float32Array, hPrevOff: number,
    dout: Float32Array, doutOff: number, stride: number, B: number, H: number): void {
    const rows = WasmKernelSet.rows;
    const gext = rows(B, gatesStride, 3 * H);
    const ext = rows(B, stride, H);
    const pdi = this.arena.ptr(dGatesI, dGatesIOff, gext, true, true);
    const pdh2 = this.arena.ptr(dGatesH, dGatesHOff, gext, true, true);
    const pdgs = dGatesStep === null ? 0 : this.arena.ptr(dGatesStep, dGatesStepOff, B * 3 * H, false, true);
    const pdh = this.arena.ptr(dh, dhOff, B * H, true, true);
    const pg = this.arena.ptr(gates, gatesOff, gext, true, false);
    const phn = this.arena.ptr(hn, hnOff, ext, true, false);
    const php = this.arena.ptr(hPrev, hPrevOff, ext, true, false);
    const pdout = this.arena.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP.gruCellBackward, [pdi, pdh2, pdgs, pdh, pg, gatesStride, phn, php, pdout, stride, H], B, H);
    this.arena.finish();
  }

  rnnCellForward(out: Float32Array, outOff: number, hh: Float32Array, hhOff: number, h: Float32Array, hOff: number,
    hPrev: Float32Array | null, hPrevOff: number, stride: number, B: number, H: number): void {
    const ext = WasmKernelSet.rows(B, stride, H);
    const pout = this.arena.ptr(out, outOff, ext, true, true);
    const phh = this.arena.ptr(hh, hhOff, B * H, true, false);
    const ph = this.arena.ptr(h, hOff, B * H, true, true);
    const php = hPrev === null ? 0 : this.arena.ptr(hPrev, hPrevOff, ext, true, true);
    this.runCell(OP.rnnCellForward, [pout, stride, phh, ph, php, H], B, H);
    this.arena.finish();
  }

  rnnCellBackward(dPre: Float32Array, dPreOff: number, dPreStep: Float32Array | null, dPreStepOff: number,
    dh: Float32Array, dhOff: number, out: Float32Array, outOff: number, dout: Float32Array, doutOff: number,
    stride: number, B: number, H: number): void {
    const ext = WasmKernelSet.rows(B, stride, H);
    const pd = this.arena.ptr(dPre, dPreOff, ext, true, true);
    const pds = dPreStep === null ? 0 : this.arena.ptr(dPreStep, dPreStepOff, B * H, false, true);
    const pdh = this.arena.ptr(dh, dhOff, B * H, true, false);
    const pout = this.arena.ptr(out, outOff, ext, true, false);
    const pdout = this.arena.ptr(dout, doutOff, ext, true, false);
    this.runCell(OP.rnnCellBackward, [pd, pds, pdh, pout, pdout, stride, H], B, H);
    this.arena.finish();
  }

  // ---- StepKernels: a layer's steps, each thread taking its batch rows through all of them

  /** One layer's steps over batch rows [0,B): split by rows when the batch and the work allow. */
  private runSteps(op: Op, args: number[], B: number, macs: number): void {
    const threads = this.pool.threads;
    if (threads > 1 && B >= 2 * threads && macs >= THREAD_MIN_MACS) this.pool.dispatch(op, args, B, 1, 4);
    else runSlice(this.ex, op, args, 0, 0, B, 0, 1);
  }

  /** W_hh's column panels for the backward's dGates·W_hh (as matmulAB packs them), or 0 when too small to pay. */
  private recurrentPanels(pw: number, B: number, G: number, H: number): number {
    if (B < PACK_MIN_ROWS || H < 8) return 0;
    const packed = this.packColumns(pw, G, H);
    this.packedW = pw; this.packedN = G; this.packedK = H;
    return packed;
  }

  lstmForwardSteps(gates: Float32Array, cells: Float32Array, out: Float32Array, hPrev: Float32Array | null,
    hh: Float32Array, h: Float32Array, c: Float32Array, params: Float32Array, wHh: number, bHh: number, B: number, T: number, H: number): void {
    const G = 4 * H, n = B * T * H;
    const a = this.arena;
    const args = [a.ptr(gates, 0, B * T * G, true, true), a.ptr(cells, 0, n, false, true), a.ptr(out, 0, n, false, true),
      hPrev === null ? 0 : a.ptr(hPrev, 0, n, false, true), a.ptr(hh, 0, B * G, false, false), a.ptr(h, 0, B * H, true, true),
      a.ptr(c, 0, B * H, true, true), a.ptr(params, wHh, G * H, true, false), a.ptr(params, bHh, G, true, false), B, T, H];
    this.runSteps(OP.lstmForwardRows, args, B, B * T * G * H);
    a.finish();
  }

  lstmBackwardSteps(dGates: Float32Array, dGatesStep: Float32Array, dh: Float32Array, dc: Float32Array, gates: Float32Array,
    cells: Float32Array, dout: Float32Array, params: Float32Array, wHh: number, B: number, T: number, H: number): void {
    const G = 4 * H, n = B * T * H;
    const a = this.arena;
    const pw = a.ptr(params, wHh, G * H, true, false);
    const args = [a.ptr(dGates, 0, B * T * G, false, true), a.ptr(dGatesStep, 0, B * G, false, false), a.ptr(dh, 0, B * H, false, false),
      a.ptr(dc, 0, B * H, false, false), a.ptr(gates, 0, B * T * G, true, false), a.ptr(cells, 0, n, true, false),
      a.ptr(dout, 0, n, true, false), pw, this.recurrentPanels(pw, B, G, H), B, T, H];
    this.runSteps(OP.lstmBackwardRows, args, B, B * T * G * H);
    a.finish();
  }

  gruForwardSteps(gates: Float32Array, hn: Float32Array, out: Float32Array, hPrev: Float32Array | null,
    hh: Float32Array, h: Float32Array, params: Float32Array, wHh: number, bHh: number, B: number, T: number, H: number): void {
    const G = 3 * H, n = B * T * H;
    const a = this.arena;
    const args = [a.ptr(gates, 0, B * T * G, true, true), a.ptr(hn, 0, n, false, true), a.ptr(out, 0, n, false, true),
      hPrev === null ? 0 : a.ptr(hPrev, 0, n, false, true), a.ptr(hh, 0, B * G, false, false), a.ptr(h, 0, B * H, true, true),
      a.ptr(params, wHh, G * H, true, false), a.ptr(params, bHh, G, true, false), B, T, H];
    this.runSteps(OP.gruForwardRows, args, B, B * T * G * H);
    a.finish();
  }

  gruBackwardSteps(dGatesI: Float32Array, dGatesH: Float32Array, dGatesStep: Float32Array, dh: Float32Array, gates: Float32Array,
    hn: Float32Array, hPrev: Float32Array, dout: Float32Array, params: Float32Array, wHh: number, B: number, T: number, H: number): void {
    const G = 3 * H, n = B * T * H;
    const a = this.arena;
    const pw = a.ptr(params, wHh, G * H, true, false);
    const args = [a.ptr(dGatesI, 0, B * T * G, false, true), a.ptr(dGatesH, 0, B * T * G, false, true), a.ptr(dGatesStep, 0, B * G, false, false),
      a.ptr(dh, 0, B * H, false, false), a.ptr(gates, 0, B * T * G, true, false), a.ptr(hn, 0, n, true, false),
      a.ptr(hPrev, 0, n, true, false), a.ptr(dout, 0, n, true, false), pw, this.recurrentPanels(pw, B, G, H), B, T, H];
    this.runSteps(OP.gruBackwardRows, args, B, B * T * G * H);
    a.finish();
  }

  rnnForwardSteps(out: Float32Array, hPrev: Float32Array | null, hh: Float32Array, h: Float32Array,
    params: Float32Array, wHh: number, bHh: number, B: number, T: number, H: number): void {
    const n = B * T * H;
    const a = this.arena;
    const args = [a.ptr(out, 0, n, true, true), hPrev === null ? 0 : a.ptr(hPrev, 0, n, false, true), a.ptr(hh, 0, B * H, false, false),
      a.ptr(h, 0, B * H, true, true), a.ptr(params, wHh, H * H, true, false), a.ptr(params, bHh, H, true, false), B, T, H];
    this.runSteps(OP.rnnForwardRows, args, B, B * T * H * H);
    a.finish();
  }

  rnnBackwardSteps(dPre: Float32Array, dPreStep: Float32Array, dh: Float32Array, out: Float32Array, dout: Float32Array,
    params: Float32Array, wHh: number, B: number, T: number, H: number): void {
    const n = B * T * H;
    const a = this.arena;
    const pw = a.ptr(params, wHh, H * H, true, false);
    const args = [a.ptr(dPre, 0, n, false, true), a.ptr(dPreStep, 0, B * H, false, false), a.ptr(dh, 0, B * H, false, false),
      a.ptr(out, 0, n, true, false), a.ptr(dout, 0, n, true, false), pw, this.recurrentPanels(pw, B, H, H), B, T, H];
    this.runSteps(OP.rnnBackwardRows, args, B, B * T * H * H);
    a.finish();
  }

  crossEntropyForward(probs: Float32Array, probsOff: number, logits: Float32Array, logitsOff: number,
    targets: Int32Array, targetsOff: number, N: number, V: number): CrossEntropyStats {
    for (let n = 0; n < N; n++) {
      const y = targets[targetsOff + n];
      if (!(y >= 0 && y < V)) throw new Error(`Target id ${y} at position ${n} is outside the vocabulary (ids 0 to ${V - 1}).`);
    }
    const pp = this.arena.ptr(probs, probsOff, N * V, false, true);
    const pl = this.arena.ptr(logits, logitsOff, N * V, true, false);
    const pt = this.arena.ptrI32(targets, targetsOff, N);
    const total = this.ex.crossEntropyForward(pp, pl, pt, N, V);
    const correct = this.ex.lastCorrect();
    this.arena.finish();
    return { loss: total / N, sum: total, correct };
  }

  crossEntropyBackward(dlogits: Float32Array, dlogitsOff: number, probs: Float32Array, probsOff: number,
    targets: Int32Array, targetsOff: number, N: number, V: number, meanOver = N): void {
    const pd = this.arena.ptr(dlogits, dlogitsOff, N * V, true, true);
    const pp = this.arena.ptr(probs, probsOff, N * V, true, false);
    const pt = this.arena.ptrI32(targets, targetsOff, N);
    this.ex.crossEntropyBackward(pd, pp, pt, N, V, meanOver);
    this.arena.finish();
  }

  adamStep(params: Float32Array, grads: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, off: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void {
    const pp = this.arena.ptr(params, off, n, true, true);
    const pg = this.arena.ptr(grads, off, n, true, false);
    const pm = this.arena.ptr(expAvg, off, n, true, true);
    const pv = this.arena.ptr(expAvgSq, off, n, true, true);
    this.ex.adamStep(pp, pg, pm, pv, n, lr, beta1, beta2, eps, weightDecay, step);
    this.arena.finish();
  }
}

/**
 * Checks that every id of ids[off, off+N) names one of the `floats` / C whole rows an array has left from
 * its offset; returns how many rows the largest id reaches (what the kernel touches).
 */
function checkIds(ids: Int32Array, off: number, N: number, floats: number, C: number): number {
  const rows = Math.floor(floats / C);
  let top = 0;
  for (let n = 0; n < N; n++) {
    const id = ids[off + n];
    if (!(id >= 0 && id < rows)) throw new RangeError(`Row id ${id} at position ${n} is outside the table (rows 0 to ${rows - 1}).`);
    if (id >= top) top = id + 1;
  }
  return top;
}

/** The kernel object handed to layers: plain bound functions, so `const { matmulAB } = kernels` works too. */
export function bindKernels(set: WasmKernelSet): WasmKernels {
  return {
    path: set.path,
    get threads() { return set.pool.threads; },
    get ready() { return set.pool.ready; },
    memory: set.arena.memory,
    dispose: () => set.pool.dispose(),
    alloc: set.arena.alloc.bind(set.arena),
    matmulABt: set.matmulABt.bind(set),
    matmulAB: set.matmulAB.bind(set),
    matmulAtB: set.matmulAtB.bind(set),
    sumRows: set.sumRows.bind(set),
    zero: set.zero.bind(set),
    sumSquares: set.sumSquares.bind(set),
    gatherRows: set.gatherRows.bind(set),
    scatterAddRows: set.scatterAddRows.bind(set),
    lstmCellForward: set.lstmCellForward.bind(set),
    lstmCellBackward: set.lstmCellBackward.bind(set),
    gruCellForward: set.gruCellForward.bind(set),
    gruCellBackward: set.gruCellBackward.bind(set),
    rnnCellForward: set.rnnCellForward.bind(set),
    rnnCellBackward: set.rnnCellBackward.bind(set),
    lstmForwardSteps: set.lstmForwardSteps.bind(set),
    lstmBackwardSteps: set.lstmBackwardSteps.bind(set),
    gruForwardSteps: set.gruForwardSteps.bind(set),
    gruBackwardSteps: set.gruBackwardSteps.bind(set),
    rnnForwardSteps: set.rnnForwardSteps.bind(set),
    rnnBackwardSteps: set.rnnBackwardSteps.bind(set),
    crossEntropyForward: set.crossEntropyForward.bind(set),
    crossEntropyBackward: set.crossEntropyBackward.bind(set),
    adamStep: set.adamStep.bind(set),
  };
}
