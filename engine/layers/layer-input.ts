/**
 * What a recurrent layer reads, and where its input gradient goes, behind one face for the three
 * cells: the input-side pre-activations x·W_ihᵀ + b_ih of every step (`projectInput`) and their backward
 * (`projectInputBackward`: dW_ih, db_ih and the input gradient).
 *
 * Two kinds of input:
 * - rows: a dense (B·T, I) array, e.g. the layer below. Three products over all B·T rows.
 * - tokens: ids looked up in a table (the first layer reads the embedding). A lookup commutes with the
 *   products, so they run over the table's V rows instead of the B·T tokens:
 *     forward   P = E·W_ihᵀ + b_ih (V, G), then each token's row of P          (same values as rows: P's
 *               rows are computed exactly as the tokens' rows would be)
 *     backward  dP[v] = Σ over the tokens with id v of dPre_x (V, G), then
 *               dW_ih += dPᵀ·E     db_ih += Σ_v dP[v]     dE += dP·W_ih
 *   Worth it when V < B·T (the reference run: V = 28 against 920 tokens, a quarter of its products).
 */
import type { Kernels } from '../kernels/types.ts';
import type { RecurrentOffsets } from './recurrent.ts';

export interface RowsInput {
  kind: 'rows';
  x: Float32Array; // (B, T, I)
  /** (B, T, I) += input gradient; null when the backward does not need it. */
  dx: Float32Array | null;
}

export interface TokenInput {
  kind: 'tokens';
  ids: Int32Array; // (B, T) ids, checked to lie in [0, rows)
  table: Float32Array; tableOff: number; // (rows, I): the embedding
  rows: number;
  /** (rows, I) += the table's gradient, at dTableOff; null when the backward does not need it. */
  dTable: Float32Array | null; dTableOff: number;
  projected: Float32Array; // (rows, G) scratch: each table row's pre-activations
  dProjected: Float32Array | null; // (rows, G) scratch: their gradients (training only)
}

export type LayerInput = RowsInput | TokenInput;

export const rowsInput = (x: Float32Array, dx: Float32Array | null = null): RowsInput => ({ kind: 'rows', x, dx });

/** dst(B·T, G) ← x·W_ihᵀ + b_ih for every token of the input. */
export function projectInput(
  dst: Float32Array, input: LayerInput,
  params: Float32Array, p: RecurrentOffsets,
  M: number, G: number, I: number, // M = B·T
  kernels: Kernels,
): void {
  if (input.kind === 'rows') {
    kernels.matmulABt(dst, 0, input.x, 0, params, p.wIh, params, p.bIh, M, G, I, false);
    return;
  }
  kernels.matmulABt(input.projected, 0, input.table, input.tableOff, params, p.wIh, params, p.bIh, input.rows, G, I, false);
  kernels.gatherRows(dst, 0, input.projected, 0, input.ids, 0, M, G);
}

/** From dPreX (B·T, G), the input-side pre-activation gradients: dW_ih, db_ih and the input gradient (all +=). */
export function projectInputBackward(
  grads: Float32Array, p: RecurrentOffsets,
  dPreX: Float32Array, input: LayerInput,
  params: Float32Array,
  M: number, G: number, I: number,
  kernels: Kernels,
): void {
  if (input.kind === 'rows') {
    kernels.matmulAtB(grads, p.wIh, dPreX, 0, input.x, 0, M, G, I, true);
    kernels.sumRows(grads, p.bIh, dPreX, 0, M, G);
    if (input.dx !== null) kernels.matmulAB(input.dx, 0, dPreX, 0, params, p.wIh, M, G, I, true);
    return;
  }
  const V = input.rows;
  const dP = input.dProjected;
  if (dP === null) throw new Error('This token input has no gradient scratch: it was made for a forward only.');
  kernels.zero(dP, 0, V * G);
  kernels.scatterAddRows(dP, 0, dPreX, 0, input.ids, 0, M, G);
  kernels.matmulAtB(grads, p.wIh, dP, 0, input.table, input.tableOff, V, G, I, true);
  kernels.sumRows(grads, p.bIh, dP, 0, V, G);
  if (input.dTable !== null) kernels.matmulAB(input.dTable, input.dTableOff, dP, 0, params, p.wIh, V, G, I, true);
}
