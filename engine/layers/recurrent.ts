/**
 * What the three recurrent layers (lstm.ts, gru.ts, rnn.ts) share: where one layer's tensors sit in
 * the flat parameter (and gradient) array, and the two activations. Not a layer itself.
 */

/** Element offsets of one layer's weight_ih (G·H, I), weight_hh (G·H, H), bias_ih (G·H), bias_hh (G·H). */
export interface RecurrentOffsets {
  wIh: number;
  wHh: number;
  bIh: number;
  bHh: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
