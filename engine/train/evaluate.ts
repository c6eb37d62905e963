/**
 * Evaluation of a model over every window of a set (the validation split), in chunks so memory stays
 * bounded whatever the split's size, and so a long pass can let the event loop in between chunks
 * (`runYielding`). Forward only, no dropout. The loss is the mean cross-entropy over
 * every predicted character of the set (chunk means weighted by their counts), accuracy the top-1 rate.
 */
import { activationFloatsPerPosition, activationFloatsPerSequence } from '../config.ts';
import { fillBatch, sequentialOrder, type WindowSet } from '../data/windows.ts';
import type { Model } from '../model.ts';

export interface EvalResult {
  loss: number;
  accuracy: number;
  /** Characters predicted. */
  count: number;
}

/** Floats of activations one chunk may use (≈ 32 MB). The logits need no room here: the model's head works through them in bounded chunks of its own. */
const CHUNK_FLOATS = 8 * 1024 * 1024;

export class Evaluator {
  readonly windows: number;
  readonly chunk: number;
  private readonly order: Int32Array;
  private readonly inputs: Int32Array; // (chunk, T)
  private readonly targets: Int32Array; // (chunk) or (chunk, T)

  constructor(
    private readonly model: Model,
    private readonly set: WindowSet,
    maxChunk = 1024,
  ) {
    const { config } = model;
    const T = set.window;
    this.windows = set.starts.length;
    const rowsPerWindow = config.objective === 'every' ? T : 1;
    const perWindow = T * activationFloatsPerPosition(config, false) + activationFloatsPerSequence(config, false);
    this.chunk = Math.max(1, Math.min(this.windows, maxChunk, Math.floor(CHUNK_FLOATS / perWindow)));
    this.order = sequentialOrder(this.windows);
    this.inputs = new Int32Array(this.chunk * T);
    this.targets = new Int32Array(this.chunk * rowsPerWindow);
  }

  /** The whole pass in one synchronous call (for callers with no event loop to keep serving). */
  run(): EvalResult {
    const pass = this.chunks();
    let next = pass.next();
    while (!next.done) next = pass.next();
    return next.value;
  }

  /**
   * The same pass, letting the event loop in between chunks at least every `yieldEveryMs`: a large
   * validation split takes seconds, and stop, pause and the parent-gone check must not wait that long.
   */
  async runYielding(yieldNow: () => Promise<void>, yieldEveryMs: number): Promise<EvalResult> {
    const pass = this.chunks();
    let lastYield = performance.now();
    for (let next = pass.next(); ; next = pass.next()) {
      if (next.done) return next.value;
      if (performance.now() - lastYield >= yieldEveryMs) {
        await yieldNow();
        lastYield = performance.now();
      }
    }
  }

  /** One pass over the set, pausing (a generator `yield`) between chunks. */
  private *chunks(): Generator<void, EvalResult> {
    const T = this.set.window;
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    for (let from = 0; from < this.windows; from += this.chunk) {
      const B = Math.min(this.chunk, this.windows - from);
      fillBatch(this.set, this.order, from, B, this.inputs, this.targets);
      const r = this.model.evaluate(this.inputs, this.targets, B, T);
      lossSum += r.loss * r.count;
      correct += r.correct;
      count += r.count;
      if (from + B < this.windows) yield;
    }
    return { loss: count > 0 ? lossSum / count : NaN, accuracy: count > 0 ? correct / count : 0, count };
  }
}
