// safetensors and the workbench checkpoint: exact round trips, readable errors, and PyTorch both ways.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, type CellKind, type ModelConfig } from '../../engine/config.ts';
import { buildLayout } from '../../engine/core/params.ts';
import { Rng } from '../../engine/core/rng.ts';
import { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../engine/format/checkpoint.ts';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../../engine/format/safetensors.ts';
import { predictNext } from '../../engine/infer/index.ts';
import { Model } from '../../engine/model.ts';
import { CheckpointError } from '../../engine/text/errors.ts';
import { decodeUtf8Exact } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { train, type CheckpointMessage } from '../../engine/train/trainer.ts';
import { kernelPathsUnderTest } from './kernel-paths.ts';
import { runPython } from './python.ts';
import { FORWARD } from './tolerances.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = (...parts: string[]) => path.resolve(repoRoot, '../shared', ...parts);
const readText = (name: string) => decodeUtf8Exact(new Uint8Array(readFileSync(shared('corpora', name)))).text;

/** The parity tests' forward tolerance (from the fixtures' README): |ours − PyTorch| ≤ atol + rtol·|PyTorch|. */

const workDir = mkdtempSync(path.join(tmpdir(), 'rnnwb-checkpoint-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// ---- helpers ----

function randomParams(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * 0.3;
  return out;
}

/**
 * Index of the first element whose bit pattern differs (so -0 vs 0 and NaN payloads count), or -1.
 * (vitest's deep equality on 100k-element arrays takes seconds.)
 */
function firstBitDifference(a: Float32Array | Uint8Array, b: Float32Array | Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a;
  const y = b instanceof Float32Array ? new Uint32Array(b.buffer, b.byteOffset, b.length) : b;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A safetensors file from a header object and raw data, exactly as given (no padding, no checks). */
function rawFile(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad && json.length % 8) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(8 - (json.length % 8)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function errorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('bad-checkpoint');
    return err as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

const referenceConfig: ModelConfig = { cell: 'lstm', layers: 1, vocabSize: 28, embed: 32, hidden: 64, window: 10, objective: 'next', dropout: 0 };
const referenceVocab = Vocabulary.fromText(readText('seed-hello-rnn.txt')).chars;

function referenceCheckpoint(seed = 3): Checkpoint {
  const layout = buildLayout(referenceConfig);
  return { config: referenceConfig, vocab: referenceVocab, params: randomParams(layout.total, seed), step: 0 };
}

/** The tensors of an encoded checkpoint, for tampering with. */
function tensorsOf(bytes: Uint8Array) {
  return decodeSafetensors(bytes);
}

// ---- safetensors ----

describe('safetensors', () => {
  it('round-trips tensors and metadata, with the header padded to 8 bytes like the Python library', () => {
    const tensors: Record<string, Tensor> = {
      a: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      b: { shape: [1], data: new Float32Array([-0.5]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { note: 'hé', n: '3' });
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerLength % 8).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + 28);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.__metadata__).toEqual({ note: 'hé', n: '3' });
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(decodeSafetensors(bytes)).toEqual({ tensors, metadata: { note: 'hé', n: '3' } });
  });

  it('reads tensors at unaligned offsets (an unpadded header)', () => {
    const header = { x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, y: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } };
    const bytes = rawFile(header, f32Bytes([1.5, -2.25, 3e-39, 7]), false);
    expect((8 + new DataView(bytes.buffer).getUint32(0, true)) % 4).not.toBe(0);
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.x.data)).toEqual([1.5, -2.25, Math.fround(3e-39)]);
    expect(Array.from(tensors.y.data)).toEqual([7]);
    // A view into a larger buffer at an odd byteOffset works too.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeSafetensors(shifted.subarray(1)).tensors.x.data)).toEqual(Array.from(tensors.x.data));
  });

  it('widens F16 and BF16 exactly and refuses other dtypes, naming the tensor', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]).buffer); // 1, -2, 2^-24, inf
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc0a0]).buffer); // 1, -5
    const bytes = rawFile(
      { h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } },
      new Uint8Array([...half, ...bf16]),
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.h.data)).toEqual([1, -2, 2 ** -24, Infinity]);
    expect(Array.from(tensors.b.data)).toEqual([1, -5]);

    const f64 = rawFile({ 'lstm.weight_hh_l0': { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(errorOf(() => decodeSafetensors(f64)).message).toMatch(/^Tensor "lstm.weight_hh_l0" has dtype F64; the workbench reads F32 tensors/);
    const i64 = rawFile({ steps: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(errorOf(() => decodeCheckpoint(i64)).message).toMatch(/"steps" has dtype I64/);
  });

  it('reports truncated files, corrupted headers and bad offsets clearly', () => {
    const good = encodeSafetensors({ w: { shape: [4], data: new Float32Array([1, 2, 3, 4]) }, v: { shape: [2], data: new Float32Array([5, 6]) } }, { k: 'v' });

    expect(errorOf(() => decodeSafetensors(new Uint8Array(5))).message).toBe(
      'The file is 5 bytes long; a safetensors file starts with an 8-byte header length.',
    );
    expect(errorOf(() => decodeSafetensors(good.subarray(0, 30))).message).toMatch(/^The header claims \d+ bytes but only 22 follow the length: the file is truncated/);
    expect(errorOf(() => decodeSafetensors(good.subarray(0, good.length - 4))).message).toMatch(
      /^Tensor "v" ends at data byte 24 but the data is only 20 bytes: the file is truncated\.$/,
    );

    const corrupted = good.slice();
    corrupted[8] = 0x78; // '{' → 'x'
    expect(errorOf(() => decodeSafetensors(corrupted)).message).toMatch(/^The header is not valid JSON/);
    const notUtf8 = good.slice();
    notUtf8[10] = 0xff;
    expect(errorOf(() => decodeSafetensors(notUtf8)).message).toMatch(/not valid UTF-8/);
    expect(errorOf(() => decodeSafetensors(rawFile([1, 2], new Uint8Array(0)))).message).toMatch(/must be a JSON object/);

    const data = f32Bytes([1, 2, 3, 4]);
    const span = rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data);
    expect(errorOf(() => decodeSafetensors(span)).message).toBe('Tensor "w" has shape [3] (12 bytes of F32) but its data_offsets span 16 bytes.');
    const overlap = rawFile(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, c: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } },
      data,
    );
    expect(errorOf(() => decodeSafetensors(overlap)).message).toBe('Tensor "b" (data bytes 4..12) overlaps tensor "a" (0..8).');
    const gap = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data);
    expect(errorOf(() => decodeSafetensors(gap)).message).toMatch(/Data bytes 4\.\.8 before tensor "b" belong to no tensor/);
    const trailing = rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data);
    expect(errorOf(() => decodeSafetensors(trailing)).message).toMatch(/the tensors cover only 12: the file has trailing bytes/);
    const badMeta = rawFile({ __metadata__: { step: 3 }, a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data);
    expect(errorOf(() => decodeSafetensors(badMeta)).message).toBe('Metadata "step" must be a string (got 3).');
    const badShape = rawFile({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data);
    expect(errorOf(() => decodeSafetensors(badShape)).message).toMatch(/Tensor "a" has shape \[-4\]/);
  });
});

// ---- checkpoints ----

describe('checkpoint round trip', () => {
  it("is bit-exact with optimizer state, RNG, settings and tang300's 2,579-character vocabulary", () => {
    const vocab = Vocabulary.fromText(readText('tang300.txt')).chars;
    expect(vocab.length).toBe(2579);
    const config: ModelConfig = { cell: 'gru', layers: 2, vocabSize: 2579, embed: 8, hidden: 16, window: 64, objective: 'every', dropout: 0.2 };
    const layout = buildLayout(config);
    const params = randomParams(layout.total, 11);
    // Values a lossy path would change: -0, a subnormal, infinity, a NaN with a payload.
    params[0] = -0;
    params[1] = 1e-42;
    params[2] = -Infinity;
    new Uint32Array(params.buffer)[3] = 0x7fc0beef;
    const rng = new Rng(99);
    rng.normal(); // leaves a spare in the state
    const original: Checkpoint = {
      config, vocab, params, step: 1234,
      hyper: { ...DEFAULT_HYPERPARAMETERS, cell: 'gru', layers: 2, hidden: 16, embed: 8, window: 64, objective: 'every', batch: 32 },
      optimizer: { kind: 'adam', stepCount: 1234, buffers: { exp_avg: randomParams(layout.total, 12), exp_avg_sq: randomParams(layout.total, 13).map(Math.abs) } },
      rng: rng.getState(),
      kernelPath: 'wasm-simd',
      extra: { note: 'trained on 唐诗' },
    };
    const bytes = encodeCheckpoint(original, { withOptimizer: true });
    const decoded = decodeCheckpoint(bytes);

    expect(decoded.config).toEqual(config);
    expect(decoded.vocab).toEqual(vocab);
    expect(decoded.step).toBe(1234);
    expect(decoded.hyper).toEqual(original.hyper);
    expect(decoded.rng).toEqual(original.rng);
    expect(decoded.kernelPath).toBe('wasm-simd');
    expect(decoded.extra).toEqual({ note: 'trained on 唐诗' });
    expect(firstBitDifference(decoded.params, params)).toBe(-1);
    expect(decoded.optimizer!.kind).toBe('adam');
    expect(decoded.optimizer!.stepCount).toBe(1234);
    expect(Object.keys(decoded.optimizer!.buffers).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(firstBitDifference(decoded.optimizer!.buffers.exp_avg, original.optimizer!.buffers.exp_avg)).toBe(-1);
    expect(firstBitDifference(decoded.optimizer!.buffers.exp_avg_sq, original.optimizer!.buffers.exp_avg_sq)).toBe(-1);
    // The resumed RNG continues the same stream.
    expect(Rng.fromState(decoded.rng!).normal()).toBe(rng.normal());
    // Encoding what was decoded gives the same bytes.
    expect(firstBitDifference(encodeCheckpoint(decoded, { withOptimizer: true }), bytes)).toBe(-1);

    const { tensors, metadata } = tensorsOf(bytes);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(JSON.parse(metadata.vocab)).toEqual(vocab);
    expect(JSON.parse(metadata.optimizer)).toEqual({ kind: 'adam', stepCount: 1234 });
    expect(tensors['optim.exp_avg.gru.weight_ih_l1'].shape).toEqual([48, 16]);
  });

  it("a trainer checkpoint's __metadata__ is a string → string map (what safetensors requires)", async () => {
    // Everything the trainer writes: optimizer, dropout RNG, validation and early-stopping counters.
    const checkpoints: CheckpointMessage[] = [];
    const result = await train(
      {
        hyper: { ...DEFAULT_HYPERPARAMETERS, layers: 2, hidden: 8, embed: 4, window: 8, batch: 16, steps: 4, dropout: 0.3, valFraction: 0.2, evalEvery: 2, earlyStopPatience: 5, checkpointEvery: 2 },
        corpusText: readText('seed-hello-rnn.txt'),
      },
      { onCheckpoint: (m) => checkpoints.push(m) },
    );
    expect(result.status).toBe('done');
    expect(checkpoints.map((c) => c.kind)).toContain('final');
    for (const { kind, step, bytes } of checkpoints) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(view.getUint32(4, true)).toBe(0); // a u64 length whose high half is 0
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + view.getUint32(0, true)))) as Record<string, unknown>;
      const metadata = header.__metadata__;
      expect(metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata), `${kind}@${step}`).toBe(true);
      const entries = Object.entries(metadata as Record<string, unknown>);
      const notStrings = entries.filter(([, value]) => typeof value !== 'string').map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
      expect(notStrings, `${kind}@${step}`).toEqual([]);
      expect(entries.map(([key]) => key)).toEqual(expect.arrayContaining(['format', 'config', 'vocab', 'step', 'rng', 'hyper', 'optimizer', 'trainer.best_val_loss']));
    }
  });

  it('writes weights only by default: exactly the layout tensors, in state_dict order', () => {
    const c = { ...referenceCheckpoint(), optimizer: { kind: 'adam' as const, stepCount: 5, buffers: {} } };
    const bytes = encodeCheckpoint(c);
    const { tensors, metadata } = tensorsOf(bytes);
    expect(Object.keys(tensors)).toEqual(buildLayout(referenceConfig).specs.map((s) => s.name));
    expect(Object.keys(tensors)).toEqual([
      'embedding.weight', 'lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'linear.weight', 'linear.bias',
    ]);
    expect(metadata.optimizer).toBeUndefined();
    expect(decodeCheckpoint(bytes).optimizer).toBeUndefined();
  });

  it('keeps an optimizer without buffers (plain SGD) and refuses incomplete buffers', () => {
    const sgd = { ...referenceCheckpoint(), optimizer: { kind: 'sgd' as const, stepCount: 7, buffers: {} } };
    expect(decodeCheckpoint(encodeCheckpoint(sgd, { withOptimizer: true })).optimizer).toEqual({ kind: 'sgd', stepCount: 7, buffers: {} });

    const total = buildLayout(referenceConfig).total;
    const withMomentum = { ...referenceCheckpoint(), optimizer: { kind: 'sgd' as const, stepCount: 7, buffers: { momentum_buffer: randomParams(total, 5) } } };
    const { tensors, metadata } = tensorsOf(encodeCheckpoint(withMomentum, { withOptimizer: true }));
    delete tensors['optim.momentum_buffer.linear.bias'];
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(tensors, metadata))).message).toBe(
      'Optimizer buffer "momentum_buffer" is incomplete: missing optim.momentum_buffer.linear.bias.',
    );
    expect(errorOf(() => encodeCheckpoint(referenceCheckpoint(), { withOptimizer: true })).message).toMatch(/no optimizer state was given/);
  });
});

describe('checkpoint errors', () => {
  it('names a tensor with the wrong shape, a missing one and an unexpected one', () => {
    const { tensors, metadata } = tensorsOf(encodeCheckpoint(referenceCheckpoint()));
    tensors['lstm.weight_hh_l0'] = { shape: [256, 63], data: new Float32Array(256 * 63) };
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(tensors, metadata))).message).toBe(
      'The checkpoint does not fit an LSTM model with 1 layer, vocabulary 28, embedding 32, hidden 64. ' +
        'lstm.weight_hh_l0 has shape [256, 63] but the model needs [256, 64].',
    );
    delete tensors['lstm.weight_hh_l0'];
    tensors['lstm.weight_hr_l0'] = { shape: [1], data: new Float32Array(1) };
    const message = errorOf(() => decodeCheckpoint(encodeSafetensors(tensors, metadata))).message;
    expect(message).toMatch(/Missing tensor: lstm\.weight_hh_l0\./);
    expect(message).toMatch(/Unexpected tensor: lstm\.weight_hr_l0\./);
  });

  it('refuses a vocabulary whose size differs from the embedding, naming both numbers', () => {
    const { tensors, metadata } = tensorsOf(encodeCheckpoint(referenceCheckpoint()));
    const shortVocab = encodeSafetensors(tensors, { ...metadata, vocab: JSON.stringify(referenceVocab.slice(1)) });
    expect(errorOf(() => decodeCheckpoint(shortVocab)).message).toBe(
      'The vocabulary has 27 characters but embedding.weight has 28 rows (one per character); they must match.',
    );
    const plain = encodeSafetensors(tensors, {});
    expect(errorOf(() => decodeCheckpoint(plain, { vocab: [...referenceVocab, '§'] })).message).toMatch(
      /^The vocabulary has 29 characters but embedding\.weight has 28 rows/,
    );
    expect(errorOf(() => encodeCheckpoint({ ...referenceCheckpoint(), vocab: referenceVocab.slice(2) })).message).toMatch(
      /The vocabulary has 26 characters but the model has a vocabulary size of 28/,
    );
    const dup = [...referenceVocab];
    dup[1] = dup[0];
    expect(errorOf(() => decodeCheckpoint(plain, { vocab: dup })).message).toMatch(/vocabulary is unusable: Vocabulary entries 0 and 1 are both/);
  });

  it('asks for a vocabulary when a plain state_dict has none, and refuses a conflicting one', () => {
    const { tensors, metadata } = tensorsOf(encodeCheckpoint(referenceCheckpoint()));
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(tensors, {}))).message).toMatch(/has no vocabulary.*supply the characters in id order/);
    const reordered = [referenceVocab[1], referenceVocab[0], ...referenceVocab.slice(2)];
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(tensors, metadata), { vocab: reordered })).message).toMatch(
      /carries its own vocabulary, which differs from the supplied one \(id 0 is " " \(U\+0020\) in the file, "!" \(U\+0021\) in the supplied one\)/,
    );
    // Agreeing is fine.
    expect(decodeCheckpoint(encodeSafetensors(tensors, metadata), { vocab: referenceVocab }).vocab).toEqual(referenceVocab);
  });

  it('refuses a newer format and malformed metadata', () => {
    const { tensors, metadata } = tensorsOf(encodeCheckpoint(referenceCheckpoint()));
    const again = (meta: Record<string, string>) => () => decodeCheckpoint(encodeSafetensors(tensors, { ...metadata, ...meta }));
    expect(errorOf(again({ format: 'recurrent-workbench/2' })).message).toMatch(/format "recurrent-workbench\/2".*A newer workbench wrote it/);
    expect(errorOf(again({ config: '{"cell":"lstm"' })).message).toBe('The checkpoint\'s "config" metadata is not valid JSON.');
    expect(errorOf(again({ config: JSON.stringify({ ...referenceConfig, hidden: 0 }) })).message).toBe(
      "The checkpoint's config has hidden = 0; expected a whole number ≥ 1.",
    );
    expect(errorOf(again({ step: '-1' })).message).toMatch(/step is "-1"/);
    expect(errorOf(again({ rng: '{"s":[1,2,3],"spare":null}' })).message).toMatch(/random-generator state is malformed/);
    expect(errorOf(again({ kernel_path: 'cuda' })).message).toMatch(/kernel path "cuda"/);
  });
});

describe('plain PyTorch state_dicts', () => {
  it('imports every parity fixture (generic "rnn." prefix), inferring cell, layers and sizes from shapes', () => {
    for (const name of ['lstm_l1', 'lstm_l2', 'gru_l1', 'gru_l2', 'rnn_l1']) {
      const fixture = JSON.parse(readFileSync(shared('fixtures/parity', `${name}.json`), 'utf8'));
      const meta = fixture.meta;
      const tensors: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(fixture.params as Record<string, { shape: number[]; data: number[] }>)) {
        tensors[key] = { shape: t.shape, data: new Float32Array(t.data) };
      }
      const vocab = Array.from({ length: meta.vocab }, (_, i) => String.fromCharCode(97 + i));
      const decoded = decodeCheckpoint(encodeSafetensors(tensors, { format: 'pt' }), { vocab });
      expect(decoded.config, name).toEqual({
        cell: meta.cell as CellKind, layers: meta.num_layers, vocabSize: meta.vocab, embed: meta.embed, hidden: meta.hidden,
        window: 10, objective: 'next', dropout: 0,
      });
      expect(decoded.step).toBe(0);
      expect(decoded.extra).toBeUndefined();
      const layout = buildLayout(decoded.config);
      for (const spec of layout.specs) {
        const source = fixture.params[spec.name.replace(/^(lstm|gru|rnn)\./, 'rnn.')];
        expect(Array.from(layout.view(decoded.params, spec.name)), spec.name).toEqual(source.data);
      }
    }
  });

  it('refuses tensors named for one cell with the shapes of another, and imports them named rightly', () => {
    /** A parity fixture's tensors with its generic "rnn." prefix renamed. */
    const fixtureAs = (name: string, prefix: string) => {
      const fixture = JSON.parse(readFileSync(shared('fixtures/parity', `${name}.json`), 'utf8'));
      const tensors: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(fixture.params as Record<string, { shape: number[]; data: number[] }>)) {
        tensors[key.replace(/^rnn\./, `${prefix}.`)] = { shape: t.shape, data: new Float32Array(t.data) };
      }
      const vocab = Array.from({ length: fixture.meta.vocab as number }, (_, i) => String.fromCharCode(97 + i));
      return () => decodeCheckpoint(encodeSafetensors(tensors, { format: 'pt' }), { vocab });
    };
    const gruShape = fixtureAs('gru_l1', 'lstm');
    const H = (JSON.parse(readFileSync(shared('fixtures/parity', 'gru_l1.json'), 'utf8')).meta.hidden) as number;
    expect(errorOf(gruShape)).toBeInstanceOf(CheckpointError);
    expect(errorOf(gruShape).message).toBe(
      `lstm.weight_hh_l0 has shape [${3 * H}, ${H}], a GRU's (3 × ${H} rows), but the tensors are named "lstm." (an LSTM has 4 × ${H} = ${4 * H} rows); the names and the shapes must agree on the cell.`,
    );
    expect(errorOf(fixtureAs('lstm_l1', 'gru')).message).toMatch(/^gru\.weight_hh_l0 has shape \[\d+, \d+\], an LSTM's \(4 × \d+ rows\), but the tensors are named "gru\." \(a GRU has 3 × /);
    expect(errorOf(fixtureAs('rnn_l1', 'lstm')).message).toMatch(/^lstm\.weight_hh_l0 has shape .*, an RNN's \(1 × \d+ rows\), but the tensors are named "lstm\."/);
    // Named for the cell they hold, or with the generic prefix, they import.
    expect(fixtureAs('lstm_l1', 'lstm')().config.cell).toBe('lstm');
    expect(fixtureAs('gru_l1', 'gru')().config.cell).toBe('gru');
    expect(fixtureAs('gru_l1', 'rnn')().config.cell).toBe('gru');
    expect(fixtureAs('lstm_l1', 'rnn')().config.cell).toBe('lstm');
  });

  it('explains a weight_hh shape that fits no cell and a file that is no character model', () => {
    const bad = { 'embedding.weight': { shape: [3, 2], data: new Float32Array(6) }, 'lstm.weight_hh_l0': { shape: [10, 4], data: new Float32Array(40) } };
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(bad, {}), { vocab: ['a', 'b', 'c'] })).message).toBe(
      'lstm.weight_hh_l0 has shape [10, 4]: its rows must be 4, 3 or 1 times its 4 columns (LSTM, GRU or RNN).',
    );
    const other = { 'fc.weight': { shape: [1], data: new Float32Array(1) } };
    expect(errorOf(() => decodeCheckpoint(encodeSafetensors(other, {}))).message).toMatch(/no tensor "embedding.weight".*it has fc\.weight\)/);
  });

  it('reads a state_dict written by PyTorch (the reference script model)', () => {
    const { torchFile, written } = pytorchExchange();
    const bytes = new Uint8Array(readFileSync(torchFile));
    expect(errorOf(() => decodeCheckpoint(bytes)).message).toMatch(/has no vocabulary/);
    const decoded = decodeCheckpoint(bytes, { vocab: referenceVocab });
    expect(decoded.config).toEqual(referenceConfig);
    const layout = buildLayout(decoded.config);
    expect(Object.keys(written).sort()).toEqual(layout.specs.map((s) => s.name).sort());
    for (const spec of layout.specs) {
      expect(written[spec.name].shape, spec.name).toEqual(spec.shape);
      expect(Array.from(layout.view(decoded.params, spec.name)), spec.name).toEqual(written[spec.name].data);
    }
  });

  it('loads a state_dict whose only metadata is its vocabulary, and predicts what PyTorch predicts', async () => {
    const { torchVocabFile, torchNext } = pytorchExchange();
    const decoded = decodeCheckpoint(new Uint8Array(readFileSync(torchVocabFile)));
    expect(decoded.vocab).toEqual(referenceVocab);
    expect(decoded.config).toEqual(referenceConfig);
    expect(decoded.extra).toBeUndefined();
    const vocab = Vocabulary.fromChars(decoded.vocab);
    // Guards the comparison's power: a near-uniform softmax would hide a shuffled vocabulary.
    expect(Math.max(...torchNext.probs) - Math.min(...torchNext.probs)).toBeGreaterThan(100 * FORWARD.atol);
    for (const kernels of await kernelPathsUnderTest()) {
      const model = new Model(decoded.config, kernels);
      model.params.set(decoded.params);
      const prediction = predictNext(model, vocab, torchNext.prompt, vocab.size);
      expect(prediction.read).toBe(torchNext.prompt.length);
      const ours = new Map(prediction.top.map((t) => [t.char, t.p]));
      referenceVocab.forEach((char, id) => {
        const allowed = FORWARD.atol + FORWARD.rtol * Math.abs(torchNext.probs[id]);
        expect(Math.abs(ours.get(char)! - torchNext.probs[id]), `${kernels.path}: p(${JSON.stringify(char)})`).toBeLessThanOrEqual(allowed);
      });
    }
  });

  it("exports weights PyTorch's load_state_dict(strict=True) accepts, with the same numbers", () => {
    const { exported, loaded, loadedMetadata } = pytorchExchange();
    const layout = buildLayout(referenceConfig);
    expect(Object.keys(loaded)).toEqual(layout.specs.map((s) => s.name));
    for (const spec of layout.specs) {
      expect(loaded[spec.name].shape, spec.name).toEqual(spec.shape);
      expect(loaded[spec.name].data, spec.name).toEqual(Array.from(layout.view(exported.params, spec.name)));
    }
    expect(JSON.parse(loadedMetadata.vocab)).toEqual(referenceVocab);
    expect(JSON.parse(loadedMetadata.config)).toEqual(referenceConfig);
  });
});

// ---- PyTorch, via /usr/bin/python3 ----

type TensorJson = Record<string, { shape: number[]; data: number[] }>;
interface PytorchExchange {
  /** A state_dict PyTorch saved, and its values as PyTorch reports them. */
  torchFile: string;
  written: TensorJson;
  /** The same state_dict saved with only {"vocab": …} as metadata, and PyTorch's next-character softmax after `prompt`. */
  torchVocabFile: string;
  torchNext: { prompt: string; probs: number[] };
  /** Our weights-only export, and the state_dict of the PyTorch model that loaded it. */
  exported: Checkpoint;
  loaded: TensorJson;
  loadedMetadata: Record<string, string>;
}
let exchange: PytorchExchange | Error | undefined;
/** Exactly one window of the reference model (10 characters), so both sides read the same characters. */
const PROMPT = 'Hello, RNN';

/** One python3 process for both directions (importing torch takes seconds). Fails, never skips, without torch. */
function pytorchExchange(): PytorchExchange {
  if (exchange === undefined) {
    try {
      const exported = referenceCheckpoint(21);
      const files = ['torch.safetensors', 'torch.json', 'ours.safetensors', 'loaded.json', 'torch-vocab.safetensors', 'torch-next.json']
        .map((f) => path.join(workDir, f));
      writeFileSync(files[2], encodeCheckpoint(exported));
      runPython(PYTORCH_EXCHANGE, { args: files, input: JSON.stringify({ vocab: referenceVocab, prompt: PROMPT }) });
      const written = JSON.parse(readFileSync(files[1], 'utf8')) as TensorJson;
      const loaded = JSON.parse(readFileSync(files[3], 'utf8')) as { state: TensorJson; metadata: Record<string, string> };
      const torchNext = JSON.parse(readFileSync(files[5], 'utf8')) as PytorchExchange['torchNext'];
      exchange = {
        torchFile: files[0], written, torchVocabFile: files[4], torchNext, exported, loaded: loaded.state, loadedMetadata: loaded.metadata,
      };
    } catch (err) {
      exchange = err as Error;
    }
  }
  if (exchange instanceof Error) throw exchange;
  return exchange;
}


const PYTORCH_EXCHANGE = `
import json, struct, sys
import torch
import torch.nn as nn

torch_file, written_json, ours_file, loaded_json, torch_vocab_file, next_json = sys.argv[1:7]
given = json.load(sys.stdin)  # the vocabulary (id order) and the prompt to predict after

class CharModel(nn.Module):
    """The reference script's model."""
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(28, 32)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.linear = nn.Linear(64, 28)

def flat(state):
    return {k: {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]} for k, t in state.items()}

def save(state, path, metadata):
    """With the safetensors package when installed, else the format by hand exactly as the library
    writes it (u64 LE header length, JSON padded with spaces to 8, LE f32 data)."""
    try:
        from safetensors.torch import save_file
        save_file(state, path, metadata=metadata)
        return
    except ImportError:
        pass
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in state.items():
        data = struct.pack("<%df" % t.numel(), *t.reshape(-1).tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))

# PyTorch -> file: as PyTorch tooling writes it, and again carrying only its vocabulary.
torch.manual_seed(1234)
model = CharModel()
state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
save(state, torch_file, {"format": "pt"})
save(state, torch_vocab_file, {"vocab": json.dumps(given["vocab"])})
with open(written_json, "w") as f:
    json.dump(flat(state), f)

# What that model predicts after the prompt: the softmax of the logits at its last character.
ids = torch.tensor([[given["vocab"].index(ch) for ch in given["prompt"]]], dtype=torch.long)
with torch.no_grad():
    out, _ = model.lstm(model.embedding(ids))
    probs = torch.softmax(model.linear(out[:, -1, :]), dim=-1)[0]
with open(next_json, "w") as f:
    json.dump({"prompt": given["prompt"], "probs": [float(p) for p in probs.tolist()]}, f)

# Our file -> PyTorch, strictly.
raw = open(ours_file, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n].decode("utf-8"))
metadata = header.pop("__metadata__", {})
try:
    from safetensors.torch import load_file
    ours = load_file(ours_file)
except ImportError:
    ours = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        values = struct.unpack("<%df" % ((end - begin) // 4), raw[8 + n + begin:8 + n + end])
        ours[name] = torch.tensor(values, dtype=torch.float32).reshape(info["shape"])
model = CharModel()
model.load_state_dict(ours, strict=True)
with torch.no_grad():  # and it runs
    out, _ = model.lstm(model.embedding(torch.zeros(1, 10, dtype=torch.long)))
    assert model.linear(out[:, -1, :]).shape == (1, 28)
with open(loaded_json, "w") as f:
    json.dump({"state": flat(model.state_dict()), "metadata": metadata}, f)
`;
