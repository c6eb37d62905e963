/**
 * EngineProcess against the real engine worker in a real child process: it reports how the process
 * ended (done, stopped, killed, crashed, error) and relays progress, checkpoints and pauses.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, type Hyperparameters } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import type { StartMessage } from '../../engine/protocol.ts';
import { EngineProcess } from '../../main/runs/engine-process.ts';
import { seedCorpusText } from './run-helpers.ts';

const job = (hyper: Partial<Hyperparameters> = {}): StartMessage => ({
  type: 'start',
  hyper: { ...PRESETS.reference.hyper, ...hyper },
  corpusText: seedCorpusText,
});

describe('EngineProcess', () => {
  it('runs the reference job to the end and reports done', async () => {
    // The reference preset, made small and short so the test stays quick on a busy machine.
    const steps = 60;
    const engine = new EngineProcess();
    const seen = { ready: 0, progress: 0, checkpoints: [] as string[], done: 0 };
    let lastStep = 0;
    engine.onReady((m) => {
      seen.ready++;
      expect(m.totalSteps).toBe(steps);
      expect(m.vocabSize).toBeGreaterThan(10);
    });
    engine.onProgress((m) => {
      seen.progress++;
      expect(m.step).toBeGreaterThan(lastStep);
      lastStep = m.step;
    });
    engine.onCheckpoint((m) => {
      seen.checkpoints.push(m.kind);
      const checkpoint = decodeCheckpoint(m.bytes);
      expect(checkpoint.step).toBe(m.step);
    });
    engine.onDone(() => seen.done++);
    engine.start({ ...job({ hidden: 16, embed: 8, steps }), progressEvery: 10 });
    expect(engine.pid).toBeGreaterThan(0);
    const exit = await engine.waitForExit(90_000);
    expect(exit.reason).toBe('done');
    expect(exit.endedBy).toBe('steps');
    expect(exit.step).toBe(steps);
    expect(exit.code).toBe(0);
    expect(seen).toMatchObject({ ready: 1, done: 1, checkpoints: ['final'] });
    expect(seen.progress).toBe(steps / 10);
    expect(lastStep).toBe(steps);
    expect(engine.running).toBe(false);
  });

  it('carries an early stop as data of the exit (the done message\'s status), not only in its sentence', async () => {
    const engine = new EngineProcess();
    // Adam at a high rate on the whole seed corpus overfits within a few dozen steps: validation loss turns up.
    engine.start(job({ hidden: 16, embed: 8, window: 8, batch: 'full', lr: 0.05, steps: 400, valFraction: 0.2, evalEvery: 5,
      earlyStopPatience: 3, checkpointEvery: 0, seed: 7, threads: 1 }));
    const exit = await engine.waitForExit(60_000);
    expect(exit).toMatchObject({ reason: 'done', endedBy: 'early-stop' });
    expect(exit.step).toBeLessThan(400);
  });

  it('stops on request with a final checkpoint and reports stopped', async () => {
    const engine = new EngineProcess();
    const kinds: string[] = [];
    engine.onCheckpoint((m) => kinds.push(m.kind));
    const firstProgress = new Promise<void>((resolve) => engine.onProgress(() => resolve()));
    engine.start(job({ hidden: 16, embed: 8, steps: 1_000_000 }));
    await firstProgress;
    expect(engine.stop()).toBe(true);
    const exit = await engine.waitForExit(30_000);
    expect(exit.reason).toBe('stopped');
    expect(exit.endedBy).toBeNull();
    expect(exit.step).toBeGreaterThan(0);
    expect(exit.step).toBeLessThan(1_000_000);
    expect(kinds).toEqual(['final']);
  });

  it('pauses and resumes', async () => {
    const engine = new EngineProcess();
    const firstProgress = new Promise<void>((resolve) => engine.onProgress(() => resolve()));
    const paused = new Promise<number>((resolve) => engine.onPaused((m) => resolve(m.step)));
    const resumed = new Promise<number>((resolve) => engine.onResumed((m) => resolve(m.step)));
    engine.start(job({ hidden: 16, embed: 8, steps: 1_000_000 }));
    await firstProgress;
    engine.pause();
    const pausedAt = await paused;
    engine.resume();
    expect(await resumed).toBeGreaterThanOrEqual(pausedAt);
    engine.stop();
    expect((await engine.waitForExit(30_000)).reason).toBe('stopped');
  });

  it('kills a process that outlives its grace period and reports killed', async () => {
    const engine = new EngineProcess();
    const firstProgress = new Promise<void>((resolve) => engine.onProgress(() => resolve()));
    engine.start(job({ hidden: 16, embed: 8, steps: 1_000_000 }));
    await firstProgress;
    const exit = await engine.waitForExit(200);
    expect(exit.reason).toBe('killed');
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.message).toContain('ended by the workbench');
  });

  it('reports crashed when something else kills the process', async () => {
    const engine = new EngineProcess();
    const firstProgress = new Promise<void>((resolve) => engine.onProgress(() => resolve()));
    engine.start(job({ hidden: 16, embed: 8, steps: 1_000_000 }));
    await firstProgress;
    process.kill(engine.pid!, 'SIGKILL');
    const exit = await engine.waitForExit(30_000);
    expect(exit.reason).toBe('crashed');
    expect(exit.message).toMatch(/killed by signal SIGKILL at step \d+/);
  });

  it('reports the engine\'s own error for a job it refuses', async () => {
    const engine = new EngineProcess();
    const errors: string[] = [];
    engine.onError((m) => errors.push(m.message));
    engine.start({ ...job(), corpusText: 'abc' });
    const exit = await engine.waitForExit(30_000);
    expect(exit.reason).toBe('error');
    expect(errors).toHaveLength(1);
    expect(exit.message).toBe(errors[0]);
    expect(exit.message).toMatch(/characters/);
  });
});
