/**
 * Embedding: a lookup of one row of the table per token. Not a matmul with a one-hot vector (same
 * result, V times the work).
 *
 *   out[n, :] = W[ids[n], :]          dW[ids[n], :] += dout[n, :]
 */

/** Throws a readable error when one of ids[0, N) is not an id of a V-character vocabulary. */
export function checkTokenIds(ids: Int32Array, N: number, V: number): void {
  for (let n = 0; n < N; n++) {
    const id = ids[n];
    if (!(id >= 0 && id < V)) throw new Error(`Token id ${id} at position ${n} is outside the vocabulary (ids 0 to ${V - 1}).`);
  }
}

export function embeddingForward(
  out: Float32Array, // (N, E) embedded tokens
  ids: Int32Array, // (N) token ids
  weight: Float32Array, weightOff: number, // (V, E)
  N: number, E: number, V: number,
): void {
  checkTokenIds(ids, N, V);
  for (let n = 0; n < N; n++) {
    const src = weightOff + ids[n] * E;
    const dst = n * E;
    for (let e = 0; e < E; e++) out[dst + e] = weight[src + e];
  }
}

export function embeddingBackward(
  dWeight: Float32Array, dWeightOff: number, // (V, E) += gradient of the table
  dout: Float32Array, // (N, E) gradient of the loss wrt the embedded tokens
  ids: Int32Array, // (N) token ids
  N: number, E: number,
): void {
  for (let n = 0; n < N; n++) {
    const dst = dWeightOff + ids[n] * E;
    const src = n * E;
    for (let e = 0; e < E; e++) dWeight[dst + e] += dout[src + e];
  }
}
