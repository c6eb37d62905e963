/**
 * Mean cross-entropy over N rows of logits (PyTorch's CrossEntropyLoss, reduction 'mean'), with a
 * numerically stable log-softmax, plus the count of rows whose top-1 prediction is the target.
 * Not a general softmax layer: the backward assumes the loss is the network's last operation.
 *
 *   log p[n,v] = z[n,v] - max_v z[n,:] - log Σ_v exp(z[n,v] - max)
 *   loss = -(1/N) Σ_n log p[n, y_n]            dz[n,v] += (p[n,v] - [v = y_n]) / N
 */

export interface CrossEntropyResult {
  /** Mean loss over the N rows, in nats. */
  loss: number;
  /** Rows whose largest logit is at the target (the first maximum wins a tie). */
  correct: number;
}

export function crossEntropyForward(
  probs: Float32Array, // (N, V) softmax probabilities, cached for backward
  logits: Float32Array, // (N, V)
  targets: Int32Array, // (N) target ids
  N: number, V: number,
): CrossEntropyResult {
  let total = 0;
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const row = n * V;
    const y = targets[n];
    if (!(y >= 0 && y < V)) throw new Error(`Target id ${y} at position ${n} is outside the vocabulary (ids 0 to ${V - 1}).`);
    let max = -Infinity;
    let argmax = 0;
    for (let v = 0; v < V; v++) {
      if (logits[row + v] > max) {
        max = logits[row + v];
        argmax = v;
      }
    }
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp(logits[row + v] - max);
      probs[row + v] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let v = 0; v < V; v++) probs[row + v] *= inv;
    total -= logits[row + y] - max - Math.log(sum);
    if (argmax === y) correct++;
  }
  return { loss: total / N, correct };
}

export function crossEntropyBackward(
  dlogits: Float32Array, // (N, V) += gradient of the mean loss wrt the logits
  probs: Float32Array, // (N, V) from the forward
  targets: Int32Array, // (N)
  N: number, V: number,
): void {
  const scale = 1 / N;
  for (let n = 0; n < N; n++) {
    const row = n * V;
    for (let v = 0; v < V; v++) dlogits[row + v] += probs[row + v] * scale;
    dlogits[row + targets[n]] -= scale;
  }
}
