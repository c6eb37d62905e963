// Inference: predictNext (top-k, notes, unknown characters, speed), generate (seeded, greedy, top-k,
// top-p, sliding window vs carried state) and trace (gates per character and layer).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type CellKind, type ModelConfig } from '../../engine/config.ts';
import { Rng } from '../../engine/core/rng.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { EVERY_MAX_CHARS, GATE_NAMES, generate, predictNext, trace } from '../../engine/infer/index.ts';
import { sampleFromLogits, type SampleOptions } from '../../engine/infer/sampling.ts';
import { loadKernels } from '../../engine/kernels/index.ts';
import { Model } from '../../engine/model.ts';
import { UnknownCharactersError } from '../../engine/text/errors.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { train as trainWith } from '../../engine/train/trainer.ts';

/** Training as the engine process runs it (engine/worker.ts): WebAssembly kernels through Node's host. */
const train: typeof trainWith = (job, events, control, options) => trainWith(job, events, control, { kernelHost: nodeKernelHost, ...options });

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');
const vocab = Vocabulary.fromText(sentence);

function untrained(cell: CellKind, objective: ModelConfig['objective'], layers = 1, seed = 1): Model {
  const m = new Model({ cell, layers, vocabSize: vocab.size, embed: 8, hidden: 12, window: 6, objective, dropout: 0 });
  m.initParams(new Rng(seed));
  return m;
}

/** Softmax in float64 of a logits row. */
function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (z) => Math.exp(z - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

let trained: Model;

beforeAll(async () => {
  const r = await train(
    { hyper: { ...DEFAULT_HYPERPARAMETERS, hidden: 32, embed: 16, window: 10, batch: 'full', steps: 80, lr: 0.02, valFraction: 0, checkpointEvery: 0 }, corpusText: sentence },
    {},
  );
  trained = r.model!;
});

describe('predictNext', () => {
  it("a 'next' model: top-k by probability from the last `window` characters, matching the batched forward", () => {
    const text = 'xxx Hello, RNN! Recurrent'.replace(/x/g, 'e');
    const p = predictNext(trained, vocab, text, 5);
    expect(p.top).toHaveLength(5);
    expect(p.read).toBe(10);
    expect(p.note).toBeUndefined();
    for (let i = 1; i < 5; i++) expect(p.top[i].p).toBeLessThanOrEqual(p.top[i - 1].p);
    // the same numbers as the batched forward over the last 10 characters
    const inputs = vocab.encode(Array.from(text).slice(-10).join(''));
    const probs = softmax(trained.logits(inputs, 1, 10));
    const ranked = probs.map((q, id) => ({ char: vocab.chars[id], p: q })).sort((a, b) => b.p - a.p).slice(0, 5);
    p.top.forEach((t, i) => {
      expect(t.char).toBe(ranked[i].char);
      expect(Math.abs(t.p - ranked[i].p)).toBeLessThan(1e-5);
    });
    // after 80 steps the model knows this sentence
    expect(p.top[0].char).toBe(' ');
    // k larger than V gives the whole distribution
    const all = predictNext(trained, vocab, text, 1000);
    expect(all.top).toHaveLength(vocab.size);
    expect(all.top.reduce((s, t) => s + t.p, 0)).toBeCloseTo(1, 6);
  });

  it('says so in a note when the text is shorter than the window, and reads what there is', () => {
    const p = predictNext(trained, vocab, 'Hel', 3);
    expect(p.read).toBe(3);
    expect(p.note).toMatch(/reads 10 characters; the text has 3/);
    const probs = softmax(trained.logits(vocab.encode('Hel'), 1, 3));
    expect(Math.abs(p.top[0].p - Math.max(...probs))).toBeLessThan(1e-5);
  });

  it("an 'every' model reads the whole text with carried state (up to the last 1,000 characters)", () => {
    const m = untrained('gru', 'every', 2);
    const text = 'Hello, RNN! Recurrent Neural Networks';
    const p = predictNext(m, vocab, text, 3);
    expect(p.read).toBe(Array.from(text).length);
    expect(p.note).toBeUndefined();
    // the 'every' batched forward's last row = the prediction after the whole text
    const ids = vocab.encode(text);
    const logits = m.logits(ids, 1, ids.length);
    const last = softmax(logits.subarray((ids.length - 1) * vocab.size, ids.length * vocab.size));
    expect(Math.abs(p.top[0].p - Math.max(...last))).toBeLessThan(1e-5);
    expect(p.top[0].char).toBe(vocab.chars[last.indexOf(Math.max(...last))]);

    const long = predictNext(m, vocab, sentence.repeat(12), 1);
    expect(long.read).toBe(EVERY_MAX_CHARS);
    expect(long.note).toMatch(/last 1000 characters/);
  });

  it('names unknown characters with the vocabulary error', () => {
    let error: unknown;
    try {
      predictNext(trained, vocab, 'Hello Ωorld™', 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownCharactersError);
    expect((error as UnknownCharactersError).chars).toEqual(['Ω', '™']);
    expect((error as Error).message).toContain('Ω');
    expect(() => predictNext(trained, vocab, '', 3)).toThrow(/The text is empty/);
  });

  it('takes under 1 ms on the reference model (CPU time, best of 20 batches of 50 calls)', async () => {
    const kernels = await loadKernels(undefined, 1, nodeKernelHost);
    const m = new Model({ cell: 'lstm', layers: 1, vocabSize: vocab.size, embed: 32, hidden: 64, window: 10, objective: 'next', dropout: 0 }, kernels);
    m.initParams(new Rng(42));
    for (let i = 0; i < 300; i++) predictNext(m, vocab, 'Hello, RNN', 5); // warm up the JIT
    let best = Infinity;
    // the best batch: a busy machine (other test files on the same cores) slows some batches down
    for (let batch = 0; batch < 20; batch++) {
      const start = process.cpuUsage();
      for (let i = 0; i < 50; i++) predictNext(m, vocab, 'Hello, RNN', 5);
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / 1000 / 50);
    }
    console.info(`predictNext on the reference model (${kernels.path} kernels): ${best.toFixed(3)} ms`);
    expect(best).toBeLessThan(1);
  });
});

describe('generate', () => {
  it('is seeded: one seed → one text; another seed → another; only vocabulary characters; n characters', () => {
    const a = generate(trained, vocab, 'Hello', 60, { temperature: 1.5, seed: 9 });
    const b = generate(trained, vocab, 'Hello', 60, { temperature: 1.5, seed: 9 });
    const c = generate(trained, vocab, 'Hello', 60, { temperature: 1.5, seed: 10 });
    expect(Array.from(a)).toHaveLength(60);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(vocab.unknownChars(a)).toEqual([]);
    expect(generate(trained, vocab, 'Hello', 0, {})).toBe('');
  });

  it("temperature 0 is greedy; a 'next' model slides its window like the reference script", () => {
    const prime = 'Hello, RNN! ';
    const out = generate(trained, vocab, prime, 40, { temperature: 0 });
    let text = prime;
    for (const ch of out) {
      expect(ch).toBe(predictNext(trained, vocab, text, 1).top[0].char);
      text += ch;
    }
    // the trained model reproduces the sentence from a full window of it
    expect(out).toBe(sentence.slice(prime.length, prime.length + 40));
    // top-k 1 and a tiny top-p are greedy too, whatever the temperature and seed
    expect(generate(trained, vocab, prime, 40, { temperature: 2, topK: 1, seed: 3 })).toBe(out);
    expect(generate(trained, vocab, prime, 40, { temperature: 2, topP: 1e-9, seed: 4 })).toBe(out);
  });

  it('top-k restricts every draw to the k most likely characters', () => {
    const m = untrained('lstm', 'next');
    const prime = 'Hello';
    const out = generate(m, vocab, prime, 30, { temperature: 1, topK: 3, seed: 5 });
    let text = prime;
    for (const ch of out) {
      const top3 = predictNext(m, vocab, text, 3).top.map((t) => t.char);
      expect(top3).toContain(ch);
      text += ch;
    }
  });

  it("an 'every' model carries its state: greedy output = stepping the model by hand", () => {
    const m = untrained('lstm', 'every', 2, 3);
    const out = generate(m, vocab, 'Rec', 25, { temperature: 0 });
    const state = m.createState();
    const logits = new Float32Array(vocab.size);
    for (const id of vocab.encode('Rec')) m.step(state, id, logits);
    let expected = '';
    for (let i = 0; i < 25; i++) {
      let best = 0;
      for (let v = 1; v < vocab.size; v++) if (logits[v] > logits[best]) best = v;
      expected += vocab.chars[best];
      m.step(state, best, logits);
    }
    expect(out).toBe(expected);
  });

  it('rejects unknown characters in the prime and bad settings with readable errors', () => {
    expect(() => generate(trained, vocab, 'Hi 😀', 5)).toThrow(UnknownCharactersError);
    expect(() => generate(trained, vocab, 'Hi 😀', 5)).toThrow(/😀/);
    expect(() => generate(trained, vocab, '', 5)).toThrow(/The prime is empty/);
    expect(() => generate(trained, vocab, 'Hi', 5, { temperature: -1 })).toThrow(/Temperature must be 0 or more/);
    expect(() => generate(trained, vocab, 'Hi', 5, { topP: 0 })).toThrow(/Top-p must be above 0/);
  });
});

describe('trace', () => {
  it('LSTM: i, f, g, o, c, h per character and layer over the last window; h = o·tanh(c); logits as predictNext', () => {
    const text = 'Hello, RNN! Recurrent';
    const t = trace(trained, vocab, text);
    expect(t.chars.join('')).toBe(Array.from(text).slice(-10).join(''));
    expect(t.layers).toHaveLength(1);
    const g = t.layers[0].gates;
    expect(Object.keys(g).sort()).toEqual([...GATE_NAMES.lstm].sort());
    for (const name of GATE_NAMES.lstm) {
      expect(g[name]).toHaveLength(10);
      for (const row of g[name]) expect(row).toHaveLength(32);
    }
    for (let s = 0; s < 10; s++) {
      for (let j = 0; j < 32; j++) {
        for (const name of ['i', 'f', 'o']) expect(g[name][s][j] >= 0 && g[name][s][j] <= 1).toBe(true);
        expect(Math.abs(g.g[s][j])).toBeLessThanOrEqual(1);
        expect(Math.abs(g.h[s][j] - g.o[s][j] * Math.tanh(g.c[s][j]))).toBeLessThan(1e-6);
      }
    }
    // the final h is the batched forward's last output
    trained.logits(vocab.encode(t.chars.join('')), 1, 10);
    const hN = trained.lastForward().hN[0];
    for (let j = 0; j < 32; j++) expect(Math.abs(g.h[9][j] - hN[j])).toBeLessThan(1e-6);
    const p = softmax(t.logits);
    expect(Math.abs(Math.max(...p) - predictNext(trained, vocab, text, 1).top[0].p)).toBeLessThan(1e-9);
  });

  it('GRU (2 layers): r, z, n, h; RNN: h; an every model traces the whole text', () => {
    const gru = trace(untrained('gru', 'next', 2), vocab, 'Hel');
    expect(gru.note).toMatch(/reads 6 characters; the text has 3/);
    expect(gru.layers).toHaveLength(2);
    for (const layer of gru.layers) {
      expect(Object.keys(layer.gates).sort()).toEqual(['h', 'n', 'r', 'z']);
      for (let s = 0; s < 3; s++) {
        for (let j = 0; j < 12; j++) {
          const { r, z, n, h } = layer.gates;
          expect(r[s][j] >= 0 && r[s][j] <= 1 && z[s][j] >= 0 && z[s][j] <= 1).toBe(true);
          // h' = (1 − z)·n + z·h
          const prev = s === 0 ? 0 : h[s - 1][j];
          expect(Math.abs(h[s][j] - ((1 - z[s][j]) * n[s][j] + z[s][j] * prev))).toBeLessThan(1e-6);
        }
      }
    }
    const rnn = trace(untrained('rnn', 'every'), vocab, 'Hello, RNN! Re');
    expect(rnn.chars).toHaveLength(14);
    expect(Object.keys(rnn.layers[0].gates)).toEqual(['h']);
    expect(rnn.layers[0].gates.h).toHaveLength(14);
  });
});

describe('sampling (seeded draws against the distribution they should follow)', () => {
  const DRAWS = 20_000;

  /** Empirical frequencies of DRAWS seeded draws from these logits. */
  function frequencies(logits: number[], opts: Partial<SampleOptions>, seed: number): number[] {
    const V = logits.length;
    const z = Float32Array.from(logits);
    const scratch = new Float64Array(V);
    const rng = new Rng(seed);
    const counts = new Array<number>(V).fill(0);
    for (let i = 0; i < DRAWS; i++) counts[sampleFromLogits(z, V, { temperature: 1, topK: 0, topP: 1, ...opts }, rng, scratch)]++;
    return counts.map((c) => c / DRAWS);
  }

  /** Each frequency within 5 binomial standard deviations of its probability; a zero probability is never drawn. */
  function expectDistribution(freq: number[], probs: number[], label: string) {
    probs.forEach((p, i) => {
      if (p === 0) expect(freq[i], `${label}: index ${i} is outside the kept set`).toBe(0);
      else expect(Math.abs(freq[i] - p), `${label}: index ${i}, p = ${p.toFixed(4)}, seen ${freq[i]}`).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / DRAWS));
    });
  }

  it('top-p keeps the smallest most-likely set whose mass reaches p, renormalised', () => {
    // probabilities 0.3, 0.1, 0.4, 0.2 (out of order, so the cut must sort)
    const logits = [0.3, 0.1, 0.4, 0.2].map(Math.log);
    // 0.4 < 0.5 ≤ 0.4 + 0.3: {2, 0}, in proportion 4 : 3
    expectDistribution(frequencies(logits, { topP: 0.5 }, 1), [3 / 7, 0, 4 / 7, 0], 'top-p 0.5');
    // 0.4 reaches 0.3 alone: always index 2
    expectDistribution(frequencies(logits, { topP: 0.3 }, 2), [0, 0, 1, 0], 'top-p 0.3');
    // 0.7 < 0.75 ≤ 0.9: {2, 0, 3}
    expectDistribution(frequencies(logits, { topP: 0.75 }, 3), [3 / 9, 0, 4 / 9, 2 / 9], 'top-p 0.75');
    // top-k cuts first, then top-p within it: k = 3 and p = 0.95 keep {2, 0, 3}
    expectDistribution(frequencies(logits, { topK: 3, topP: 0.95 }, 4), [3 / 9, 0, 4 / 9, 2 / 9], 'top-k 3, top-p 0.95');
    // no cut: the softmax itself
    expectDistribution(frequencies(logits, {}, 5), [0.3, 0.1, 0.4, 0.2], 'no cut');
  });

  it('temperature τ draws from softmax(z / τ)', () => {
    const logits = [2, 1, 0, -1, 0.5];
    const softmax = (tau: number) => {
      const e = logits.map((z) => Math.exp(z / tau));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / sum);
    };
    for (const [tau, seed] of [[0.5, 11], [1, 12], [2, 13]]) {
      expectDistribution(frequencies(logits, { temperature: tau }, seed), softmax(tau), `τ = ${tau}`);
    }
    // the three distributions are far apart at this many draws (so the test tells them apart)
    expect(softmax(0.5)[0] - softmax(1)[0]).toBeGreaterThan(0.15);
    expect(softmax(1)[0] - softmax(2)[0]).toBeGreaterThan(0.1);
  });
});
