/**
 * The operations the threads share, in one table of op codes (`OP`), and `runSlice`, which runs one
 * slice of one of them by calling the module export the op is named after. The worker threads run
 * the same function on the same table: pool.ts writes this function's text and the table's values
 * into their source, so an op code is written down once, here.
 *
 * A job's integer arguments `a` are the export's arguments in its order, without the slice bounds;
 * matmulAtB's carry two more at the end (a[8] bytes of packing scratch per chunk, a[9] the packed b).
 *
 * Not here: how a job is cut into slices and handed to threads (pool.ts), when an op is worth
 * threading and how its arguments are made (kernel-set.ts). Cross-entropy and Adam always run on the
 * calling thread, so they have no op code.
 */
import type { AssemblyExports } from './module.ts';

/** Op codes, each named after the export it calls (tests/engine/wasm-kernels.test.ts checks both builds have them). */
export const OP = {
  matmulABt: 1,
  matmulAB: 2,
  matmulAtB: 3,
  sumRows: 4,
  lstmCellForward: 5,
  lstmCellBackward: 6,
  gruCellForward: 7,
  gruCellBackward: 8,
  rnnCellForward: 9,
  rnnCellBackward: 10,
  packPanels: 11,
  lstmForwardRows: 12,
  lstmBackwardRows: 13,
  gruForwardRows: 14,
  gruBackwardRows: 15,
  rnnForwardRows: 16,
  rnnBackwardRows: 17,
} as const satisfies Partial<Record<keyof AssemblyExports, number>>;

export type OpTable = typeof OP;
export type Op = OpTable[keyof OpTable];

/**
 * One slice of a job: output rows [r0,r1) × columns [c0,c1) of a product, columns [c0,c1) of a
 * column sum or panel packing, or batch rows [r0,r1) of a cell step or of a layer's steps; `chunk` is the slice's number
 * (matmulAtB packs into scratch of its own: a[3] + chunk · a[8]).
 */
export type SliceRunner = (ex: AssemblyExports, op: Op, a: ArrayLike<number>, chunk: number, r0: number, r1: number, c0: number, c1: number) => void;

/**
 * runSlice over the op table `ops`. Its text is evaluated again inside each worker thread, so it
 * refers to nothing outside itself (the table comes in as an argument) and returns an anonymous arrow
 * (tsx names named functions through a helper that the worker's source does not have).
 */
export function sliceRunner(ops: OpTable): SliceRunner {
  return (ex, op, a, chunk, r0, r1, c0, c1) => {
    switch (op) {
      case ops.matmulABt: ex.matmulABt(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
      case ops.matmulAB: ex.matmulAB(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
      case ops.matmulAtB: ex.matmulAtB(a[0], a[1], a[2], a[3] + chunk * a[8], a[9], a[4], a[5], a[6], a[7], r0, r1, c0, c1); break;
      case ops.sumRows: ex.sumRows(a[0], a[1], a[2], a[3], c0, c1); break;
      case ops.lstmCellForward: ex.lstmCellForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], r0, r1); break;
      case ops.lstmCellBackward: ex.lstmCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], r0, r1); break;
      case ops.gruCellForward: ex.gruCellForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], r0, r1); break;
      case ops.gruCellBackward: ex.gruCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], r0, r1); break;
      case ops.rnnCellForward: ex.rnnCellForward(a[0], a[1], a[2], a[3], a[4], a[5], r0, r1); break;
      case ops.rnnCellBackward: ex.rnnCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], r0, r1); break;
      case ops.packPanels: ex.packPanels(a[0], a[1], a[2], a[3], c0, c1); break;
      case ops.lstmForwardRows: ex.lstmForwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], r0, r1); break;
      case ops.lstmBackwardRows: ex.lstmBackwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], r0, r1); break;
      case ops.gruForwardRows: ex.gruForwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], r0, r1); break;
      case ops.gruBackwardRows: ex.gruBackwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], r0, r1); break;
      case ops.rnnForwardRows: ex.rnnForwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], r0, r1); break;
      case ops.rnnBackwardRows: ex.rnnBackwardRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], r0, r1); break;
    }
  };
}

/** The calling thread's runSlice. */
export const runSlice: SliceRunner = sliceRunner(OP);
