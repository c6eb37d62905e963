// A finite blow-up is divergence too: a training loss above 3 · ln V (three times an untrained model's)
// ends the run with an error, as NaN does, keeping the checkpoints written before it and writing no final
// one. The case as reported: RMSprop at lr 10 with momentum 0.999 on the 28-character seed corpus.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRESETS, type Hyperparameters } from '../../engine/config.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { BlowUpGuard, lossLimit } from '../../engine/train/guard.ts';
import { train, type CheckpointMessage, type DoneMessage, type ErrorMessage, type ProgressMessage } from '../../engine/train/trainer.ts';
import { TrainingError } from '../../engine/train/validate.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');
const V = 28; // distinct characters of the seed corpus

async function trainRecorded(hyper: Hyperparameters) {
  const progress: ProgressMessage[] = [];
  const checkpoints: CheckpointMessage[] = [];
  const done: DoneMessage[] = [];
  const errors: ErrorMessage[] = [];
  const result = await train(
    { hyper, corpusText: sentence },
    { onProgress: (m) => progress.push(m), onCheckpoint: (m) => checkpoints.push(m), onDone: (m) => done.push(m), onError: (m) => errors.push(m) },
    undefined,
    { kernelHost: nodeKernelHost },
  );
  return { result, progress, checkpoints, done, errors };
}

describe('the blow-up guard', () => {
  it('ends RMSprop at lr 10, momentum 0.999 as diverged, with a sentence, keeping the checkpoint before it', async () => {
    const hyper = { ...PRESETS.reference.hyper, optimizer: 'rmsprop', lr: 10, momentum: 0.999, steps: 200, checkpointEvery: 1 } as Hyperparameters;
    const { result, progress, checkpoints, done, errors } = await trainRecorded(hyper);
    expect(result.status).toBe('error');
    expect(done).toEqual([]);
    expect(errors).toHaveLength(1);
    // Step 1 starts untrained (loss ≈ ln 28 = 3.33); its update throws the model far off, which step 2's loss shows.
    expect(progress.map((p) => p.step)).toEqual([1]);
    expect(progress[0].trainLoss).toBeCloseTo(Math.log(V), 0);
    expect(errors[0].step).toBe(2);
    expect(errors[0].message).toMatch(
      /^Training diverged at step 2: the training loss, averaged over recent steps, reached \d+\.\d, more than 3 × ln 28 = 10\.0 \(three times an untrained model's\)\. Try to lower the learning rate \(now 10\) or enable gradient clipping \(e\.g\. clip 5\)\.$/,
    );
    // As with NaN: the checkpoints written before stay, and no 'final' one is made of the blown-up state.
    expect(checkpoints.map((c) => [c.step, c.kind])).toEqual([[1, 'periodic']]);
  });

  it('leaves an ordinary run alone', async () => {
    const { result, progress, errors } = await trainRecorded({ ...PRESETS.reference.hyper, steps: 200 });
    expect(errors).toEqual([]);
    expect(result.status).toBe('done');
    expect(progress).toHaveLength(200);
    expect(Math.max(...progress.map((p) => p.trainLoss))).toBeLessThan(lossLimit(V));
  });

  it('draws the line at 3 · ln V for the loss averaged over recent steps, so one surprising batch passes', () => {
    expect(lossLimit(V)).toBeCloseTo(3 * Math.log(28), 12);
    expect(lossLimit(1)).toBe(Infinity); // one character: the loss is always 0
    // A healthy run at loss 0.1 meets one unlikely character (11.5 nats, above the limit on its own).
    const healthy = new BlowUpGuard(V);
    for (let step = 1; step <= 50; step++) healthy.record(step, 0.1, 0.01, 5);
    expect(() => healthy.record(51, 11.5, 0.01, 5)).not.toThrow();
    expect(() => healthy.record(52, Number.NaN, 0.01, 5)).not.toThrow(); // NaN is checkFinite's to name
    // The first step counts in full (bias correction): a blow-up there is caught at once.
    let thrown: unknown;
    try {
      new BlowUpGuard(V).record(7, 37786.2, 0.01, 5);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrainingError);
    expect((thrown as TrainingError).step).toBe(7);
    expect((thrown as TrainingError).message).toBe(
      "Training diverged at step 7: the training loss, averaged over recent steps, reached 37786.2, more than 3 × ln 28 = 10.0 (three times an untrained model's). Try to lower the learning rate (now 0.01) or clip harder (now 5).",
    );
    // Losses that stay high do cross it.
    const rising = new BlowUpGuard(V);
    expect(() => { for (let step = 1; step <= 50; step++) rising.record(step, 12, 0.01, 5); }).toThrow(TrainingError);
  });
});
