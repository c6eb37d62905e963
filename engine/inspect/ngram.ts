/**
 * Interpolated Kneser–Ney character n-gram models (Chen & Goodman 1998, §3.5), the baseline Karpathy et
 * al. (2015) set their networks against. One pass counts every k-gram (k = 1..maxOrder) of a training
 * text; the model of order n reads the counts up to n. For a history h (the n−1 characters before)
 * and a character w of the alphabet (size V):
 *
 *   P_k(w | h) = max(c_k(h w) − D_k, 0) / c_k(h •)  +  D_k · N₁₊(h •) / c_k(h •) · P_{k−1}(w | h')
 *   P_0(w) = 1 / V                                   (h' = h without its first character)
 *
 * At the top order c_k is the raw count; below it, the continuation count N₁₊(• h w): how many distinct
 * characters precede h w in the training text. N₁₊(h •) counts the w with c_k(h w) > 0. A history never
 * seen at order k (c_k(h •) = 0) passes P_{k−1} on unchanged. One discount per order and kind of count,
 * D = n₁ / (n₁ + 2 n₂) from the counts of counts (0.5 when either is 0). Every P_k sums to 1 over the
 * alphabet. Near the start of a text the history is shorter, and the top order is its length + 1.
 * Bits per character are averaged over positions 1..N−1 (position 0 has no history), as for the network.
 */

export interface NgramHooks {
  shouldStop?: () => boolean;
  yieldToEventLoop?: () => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

interface Level {
  counts: Map<string, number>;
  /** Per history (k − 1 characters): sum of counts, and how many characters follow it. */
  total: Map<string, number>;
  types: Map<string, number>;
  discount: number;
}

/** The alphabet as one UTF-16 unit per character id, so a k-gram is a string of length k. */
export class NgramModel {
  readonly maxOrder: number;
  readonly alphabet: readonly string[];
  private readonly idOf: Map<string, number>;
  /** raw[k], cont[k] for k = 1..maxOrder (index 0 unused); cont[maxOrder] is never used. */
  private readonly raw: Level[] = [];
  private readonly cont: Level[] = [];

  private constructor(maxOrder: number, alphabet: readonly string[]) {
    this.maxOrder = maxOrder;
    this.alphabet = alphabet;
    this.idOf = new Map(alphabet.map((ch, i) => [ch, i]));
  }

  /** Counts every k-gram of `text` (k ≤ maxOrder); `alphabet` must hold every character of it. Null when stopped. */
  static async fit(text: string, maxOrder: number, alphabet: readonly string[], hooks: NgramHooks = {}): Promise<NgramModel | null> {
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 12) throw new RangeError(`The n-gram order must be a whole number from 1 to 12 (got ${maxOrder}).`);
    if (alphabet.length === 0) throw new RangeError('The n-gram alphabet is empty.');
    if (alphabet.length > 0xffff) throw new RangeError(`An n-gram alphabet of ${alphabet.length} characters is more than this model keeps (65,535).`);
    const model = new NgramModel(maxOrder, alphabet);
    const s = model.encode(text);
    if (s.length === 0) throw new RangeError('The training text for the n-gram model is empty.');
    const counts = Array.from({ length: maxOrder + 1 }, () => new Map<string, number>());
    const STRIDE = 50_000;
    for (let t0 = 0; t0 < s.length; t0 += STRIDE) {
      if (hooks.shouldStop?.()) return null;
      const end = Math.min(s.length, t0 + STRIDE);
      for (let t = t0; t < end; t++) {
        for (let k = 1; k <= maxOrder && t + k <= s.length; k++) {
          const key = s.substr(t, k);
          const m = counts[k];
          m.set(key, (m.get(key) ?? 0) + 1);
        }
      }
      hooks.onProgress?.(end, s.length);
      if (hooks.yieldToEventLoop) await hooks.yieldToEventLoop();
    }
    model.raw.push(level(new Map()));
    model.cont.push(level(new Map()));
    for (let k = 1; k <= maxOrder; k++) {
      model.raw.push(level(counts[k]));
      const cont = new Map<string, number>();
      if (k < maxOrder) for (const key of counts[k + 1].keys()) {
        const tail = key.slice(1);
        cont.set(tail, (cont.get(tail) ?? 0) + 1);
      }
      model.cont.push(level(cont));
    }
    return model;
  }

  /** The text as a string of character ids; one sentence naming the first character outside the alphabet. */
  encode(text: string): string {
    let out = '';
    const parts: string[] = [];
    let position = 0;
    for (const ch of text) {
      const id = this.idOf.get(ch);
      if (id === undefined) throw new RangeError(`Character ${JSON.stringify(ch)} at position ${position} is not in the n-gram model's alphabet.`);
      out += String.fromCharCode(id);
      if (out.length >= 8192) {
        parts.push(out);
        out = '';
      }
      position++;
    }
    parts.push(out);
    return parts.join('');
  }

  /** P(w | history) at order n; `history` and `w` are id strings (encode), history its last n−1 used. */
  probability(n: number, history: string, w: string): number {
    this.checkOrder(n);
    const h = history.length > n - 1 ? history.slice(history.length - (n - 1)) : history;
    const top = h.length + 1;
    let p = 1 / this.alphabet.length;
    for (let k = 1; k <= top; k++) {
      const lv = k === top ? this.raw[k] : this.cont[k];
      const hk = h.slice(h.length - (k - 1));
      const total = lv.total.get(hk);
      if (!total) continue;
      const c = lv.counts.get(hk + w) ?? 0;
      p = Math.max(c - lv.discount, 0) / total + (lv.discount * lv.types.get(hk)!) / total * p;
    }
    return p;
  }

  /** The whole distribution (V) after `history` at order n. */
  distribution(n: number, history: string): Float64Array {
    const out = new Float64Array(this.alphabet.length);
    for (let id = 0; id < out.length; id++) out[id] = this.probability(n, history, String.fromCharCode(id));
    return out;
  }

  /** −log2 P of each character of `text` given the ones before it at order n; NaN at position 0. */
  bitsPerPosition(n: number, text: string): Float64Array {
    this.checkOrder(n);
    const s = this.encode(text);
    const out = new Float64Array(s.length);
    if (s.length > 0) out[0] = NaN;
    for (let t = 1; t < s.length; t++) out[t] = -Math.log2(this.probability(n, s.slice(Math.max(0, t - n + 1), t), s[t]));
    return out;
  }

  private checkOrder(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.maxOrder) throw new RangeError(`This n-gram model was fitted up to order ${this.maxOrder}; order ${n} is not available.`);
  }
}

/** Mean of positions 1..N−1 (the ones with a history). */
export function meanBits(bits: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 1; t < bits.length; t++) sum += bits[t];
  return bits.length > 1 ? sum / (bits.length - 1) : NaN;
}

function level(counts: Map<string, number>): Level {
  const total = new Map<string, number>();
  const types = new Map<string, number>();
  let n1 = 0;
  let n2 = 0;
  for (const [key, c] of counts) {
    const h = key.slice(0, key.length - 1);
    total.set(h, (total.get(h) ?? 0) + c);
    types.set(h, (types.get(h) ?? 0) + 1);
    if (c === 1) n1++;
    else if (c === 2) n2++;
  }
  return { counts, total, types, discount: n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5 };
}
