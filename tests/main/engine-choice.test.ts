/**
 * The engine choice as fields of the one table: `device` means something only with PyTorch (refused
 * otherwise, in both languages), runs stored before the fields existed read as built-in/auto, and a
 * continuation may change engine (the device then starts from auto).
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, validateHyperparameters } from '../../engine/config.ts';
import { initialWeights } from '../../main/runs/pytorch-launcher.ts';
import { createContinuation } from '../../main/runs/run-factory.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { parseFieldError } from '../../renderer/src/lib/field-error-shapes.ts';
import { messages } from '../../renderer/src/lib/messages.ts';
import { fillTemplate } from '../../engine/fields.ts';
import { openSeededStorage } from './run-helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function seeded() {
  const opened = openSeededStorage('rnnwb-engine-choice-');
  cleanups.push(() => {
    opened.storage.close();
    rmSync(opened.dir, { recursive: true, force: true });
  });
  return opened;
}

describe('device needs the PyTorch engine', () => {
  it('is refused beside the built-in engine unless auto, and allowed with PyTorch', () => {
    expect(validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, device: 'cuda' }).device).toBe('Device other than auto needs Engine pytorch (got "cuda").');
    expect(validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, device: 'auto' })).toEqual({});
    expect(validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, engine: 'pytorch', device: 'mps' })).toEqual({});
    expect(validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, engine: 'tensorflow' as never }).engine).toBe('Engine must be one of builtin, pytorch (got "tensorflow").');
  });

  it('the sentence is rebuilt in Chinese from its rule', () => {
    const english = validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, device: 'cpu' }).device!;
    const parts = parseFieldError('device', english);
    expect(parts?.id).toBe('fieldError.requires');
    expect(fillTemplate(messages['fieldError.requires'][1], { ...parts!.vars, label: '设备' })).toBe('设备不是 auto 时，Engine必须为 pytorch（当前为 "cpu"）。');
  });
});

describe('stored runs', () => {
  it('a run stored before the engine fields existed reads as built-in on auto', () => {
    const { storage, corpusId } = seeded();
    const vocabularyId = storage.vocabularies.getOrCreate(['a']).id;
    const { engine: _e, device: _d, ...old } = DEFAULT_HYPERPARAMETERS;
    storage.db.prepare(`INSERT INTO runs (name, corpus_id, vocabulary_id, hyper, reproduction, created_at) VALUES ('old', ?, ?, ?, '{}', 'now')`)
      .run(corpusId, vocabularyId, JSON.stringify(old));
    const run = storage.runs.list().find((r) => r.name === 'old')!;
    expect(run.hyper).toMatchObject({ engine: 'builtin', device: 'auto' });
  });

  it('a continuation moves engine: the device goes back to auto unless given; a device with the built-in engine is refused', () => {
    const { storage, corpusId } = seeded();
    const vocab = ['a', 'b'];
    const vocabularyId = storage.vocabularies.getOrCreate(vocab).id;
    const hyper = { ...DEFAULT_HYPERPARAMETERS, engine: 'pytorch' as const, device: 'cpu' as const, steps: 10 };
    const parent = storage.runs.create({
      name: 'p', corpusId, vocabularyId, hyper, status: 'done', parentRunId: null, sweepId: null, sample: null, totalSteps: 10,
      reproduction: { appVersion: 't', kernelPath: null, threads: 1, corpusSha256: null, seed: 1, hyper, segments: [
        { fromStep: 0, engine: 'builtin', device: 'cpu', kernelPath: 'typescript', threads: 1 },
        { fromStep: 4, engine: 'pytorch', device: 'cpu', kernelPath: null, threads: 1, torchVersion: '2.0' },
        { fromStep: 8, engine: 'pytorch', device: 'cuda:0', kernelPath: null, threads: 1 },
      ] },
    });
    // A checkpoint at step 6 with optimizer state: the continuation keeps the segments before it.
    const base = decodeCheckpoint(initialWeights(hyper, vocab));
    const zeros = () => new Float32Array(base.params.length);
    const bytes = encodeCheckpoint({ ...base, step: 6, optimizer: { kind: 'adam', stepCount: 6, buffers: { exp_avg: zeros(), exp_avg_sq: zeros() } } }, { withOptimizer: true });
    const checkpoint = storage.checkpoints.add({ runId: parent.id, step: 6, kind: 'final', valLoss: null, trainLoss: 1, bytes });

    const back = createContinuation(storage, { runId: parent.id, checkpointId: checkpoint.id, steps: 12, engine: 'builtin' });
    expect(back.hyper).toMatchObject({ engine: 'builtin', device: 'auto' });
    expect(back.reproduction.segments!.map((s) => s.fromStep)).toEqual([0, 4]);
    const same = createContinuation(storage, { runId: parent.id, checkpointId: checkpoint.id, steps: 12 });
    expect(same.hyper).toMatchObject({ engine: 'pytorch', device: 'cpu' });
    expect(() => createContinuation(storage, { runId: parent.id, checkpointId: checkpoint.id, steps: 12, engine: 'builtin', device: 'cuda' }))
      .toThrow('Device other than auto needs Engine pytorch (got "cuda").');
  });
});
