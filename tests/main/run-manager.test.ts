/**
 * RunManager on a real database file with real engine processes: the queue and its concurrency
 * limit, pause/resume/stop, sweeps, and parking running runs at shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { createQueuedRun, createSweepRuns } from '../../main/runs/run-factory.ts';
import { RunManager } from '../../main/runs/run-manager.ts';
import type { Storage } from '../../main/storage/index.ts';
import { nextRunEvent, openSeededStorage, seedCorpusText } from './run-helpers.ts';

/** The reference run made small, so several train at once on a busy machine. */
const tiny = { hidden: 12, embed: 6, steps: 40 };

let dir: string;
let storage: Storage;
let corpusId: number;
const managers: RunManager[] = [];
const newcomers: ChildProcess[] = [];

function manager(options: Partial<ConstructorParameters<typeof RunManager>[0]> = {}): RunManager {
  const m = new RunManager({ storage, ...options });
  managers.push(m);
  return m;
}

beforeEach(() => {
  ({ dir, storage, corpusId } = openSeededStorage('run-manager-'));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.shutdown({ graceMs: 2000 });
  for (const child of newcomers.splice(0)) child.kill('SIGKILL');
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RunManager', () => {
  it('trains four runs at once with concurrency 4 while a fifth waits queued', async () => {
    const STEPS = 2000;
    const m = manager({ concurrency: 4 });
    const runs = [1, 2, 3, 4, 5].map((seed) =>
      // Long enough (a few seconds each) that all four have started before the first one finishes,
      // even when process start-up is slow on a loaded machine.
      createQueuedRun(storage, { corpusId, preset: 'reference', name: `run-${seed}`, hyper: { ...tiny, steps: STEPS, seed, threads: 4 } }));
    const statuses: string[] = [];
    m.onEvent((e) => {
      if (e.type === 'status') statuses.push(`${e.runId}:${e.status}`);
    });
    const firstProgressOfAll = Promise.all(runs.slice(0, 4).map((run) => nextRunEvent(m, (e) => e.type === 'progress' && e.runId === run.id)));
    m.start();
    for (const run of runs) m.enqueue(run.id);
    await firstProgressOfAll;
    expect(m.activeRunIds()).toHaveLength(4);
    // Four train at the same time, the fifth has not started.
    const now = storage.runs.list();
    expect(now.filter((r) => r.status === 'running').map((r) => r.name).sort()).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    expect(storage.runs.require(runs[4].id).status).toBe('queued');
    expect(m.isQueuedHere(runs[4].id)).toBe(true);

    const settled = await Promise.all(runs.map((run) => m.whenSettled(run.id)));
    expect(settled.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(statuses.indexOf(`${runs[4].id}:running`)).toBeGreaterThan(statuses.findIndex((s) => s.endsWith(':done')));
    for (const run of settled) {
      expect(run.step).toBe(STEPS);
      expect(storage.metrics.count(run.id)).toBe(STEPS);
      expect(run.reproduction.threads).toBe(1);
      expect(run.reproduction.kernelPath).not.toBeNull();
      expect(run.ownerPid).toBeNull();
      const checkpoints = storage.checkpoints.list(run.id);
      expect(checkpoints.map((c) => c.kind)).toEqual(['final']);
      const samples = storage.samples.list(run.id);
      expect(samples).toHaveLength(1);
      expect(samples[0].checkpointId).toBe(checkpoints[0].id);
      expect(Array.from(samples[0].text)).toHaveLength(200);
      expect(samples[0].temperature).toBe(0.8);
      expect(seedCorpusText.startsWith(samples[0].prompt)).toBe(true);
    }
  });

  it("never gives a run more threads than its hyperparameters allow", async () => {
    const m = manager({ cores: 4 });
    const run = createQueuedRun(storage, { corpusId, preset: 'reference', hyper: { ...tiny, threads: 1, steps: 10 } });
    m.start();
    m.enqueue(run.id);
    const done = await m.whenSettled(run.id);
    expect(done.status).toBe('done');
    expect(done.reproduction.threads).toBe(1);
  });

  it('gives a run alone every core it asks for, and keeps last K + best + final checkpoints', async () => {
    const m = manager({ cores: 2 });
    const run = createQueuedRun(storage, {
      corpusId, preset: 'reference', hyper: { ...tiny, threads: 8, steps: 50, checkpointEvery: 5, keepLast: 2, valFraction: 0.3, evalEvery: 10, window: 8 },
    });
    const kinds: string[] = [];
    m.onEvent((e) => {
      if (e.type === 'checkpoint') kinds.push(e.checkpoint.kind);
    });
    m.start();
    m.enqueue(run.id);
    const done = await m.whenSettled(run.id);
    expect(done.status).toBe('done');
    expect(done.reproduction.threads).toBe(2);
    expect(kinds.filter((k) => k === 'periodic')).toHaveLength(9);
    const kept = storage.checkpoints.list(run.id);
    const best = storage.checkpoints.best(run.id)!;
    const lowest = Math.min(...storage.metrics.list(run.id).filter((p) => p.valLoss !== null).map((p) => p.valLoss!));
    expect(best.valLoss).toBe(lowest);
    // The last two periodic ones, the best (whatever its kind) and the final; nothing else.
    const expected = new Set([
      ...kept.filter((c) => c.kind === 'periodic' && c.step >= 40).map((c) => c.id),
      best.id,
      ...kept.filter((c) => c.kind === 'final').map((c) => c.id),
    ]);
    expect(kept.filter((c) => c.kind === 'periodic' && c.step >= 40).map((c) => c.step)).toEqual([40, 45]);
    expect(kept.filter((c) => c.kind === 'final').map((c) => c.step)).toEqual([50]);
    expect(new Set(kept.map((c) => c.id))).toEqual(expected);
    // Every kept checkpoint has its sample.
    for (const c of kept) expect(storage.samples.forCheckpoint(c.id)).toHaveLength(1);
  });

  it('pauses and resumes a running run, and stops another', async () => {
    const m = manager({ concurrency: 2 });
    const a = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'pausing', hyper: { ...tiny, steps: 100_000 } });
    const b = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'stopping', hyper: { ...tiny, steps: 100_000 } });
    m.start();
    const progressA = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === a.id);
    const progressB = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === b.id);
    m.enqueue(a.id);
    m.enqueue(b.id);
    await Promise.all([progressA, progressB]);

    const paused = nextRunEvent(m, (e) => e.type === 'status' && e.runId === a.id && e.status === 'paused');
    m.pause(a.id);
    await paused;
    expect(storage.runs.require(a.id).status).toBe('paused');
    const stepWhilePaused = storage.runs.require(a.id).step;

    m.stop(b.id);
    const stopped = await m.whenSettled(b.id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.reason).toBeNull();
    expect(storage.checkpoints.list(b.id).map((c) => c.kind)).toEqual(['final']);

    const resumed = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === a.id && e.metric.step > stepWhilePaused);
    m.resume(a.id);
    await resumed;
    expect(storage.runs.require(a.id).status).toBe('running');
    m.stop(a.id);
    expect((await m.whenSettled(a.id)).status).toBe('stopped');
    expect(() => m.pause(a.id)).toThrow(/is stopped; only a running run can pause/);
  });

  it('keeps a resumed run waiting while the concurrency limit is taken, and resumes it when a slot frees', async () => {
    const m = manager({ concurrency: 1 });
    const a = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'resumed', hyper: { ...tiny, steps: 100_000 } });
    const b = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'in-between', hyper: { ...tiny, steps: 1000 } });
    // The runs training after each status change, and the order of what happened (A's progress, both statuses).
    const training = new Set<number>();
    let mostAtOnce = 0;
    const log: string[] = [];
    let lastStepOfA = 0;
    m.onEvent((e) => {
      if (e.type === 'status') {
        if (e.status === 'running') training.add(e.runId);
        else training.delete(e.runId);
        mostAtOnce = Math.max(mostAtOnce, training.size);
        log.push(`${e.runId === a.id ? 'A' : 'B'} ${e.status}`);
      } else if (e.type === 'progress' && e.runId === a.id) {
        lastStepOfA = e.metric.step;
        log.push('A progress');
      }
    });
    m.start();
    const aTrains = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === a.id);
    m.enqueue(a.id);
    m.enqueue(b.id);
    await aTrains;
    expect(storage.runs.require(b.id).status).toBe('queued');

    // Pausing A frees its slot: B starts.
    const bTrains = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === b.id);
    const aPaused = nextRunEvent(m, (e) => e.type === 'status' && e.runId === a.id && e.status === 'paused');
    m.pause(a.id);
    await Promise.all([aPaused, bTrains]);

    // Resuming A while B trains: A waits, paused, saying why.
    const stepWhilePaused = lastStepOfA;
    const aGoesOn = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === a.id && e.metric.step > stepWhilePaused);
    m.resume(a.id);
    expect(storage.runs.require(a.id)).toMatchObject({ status: 'paused', reason: expect.stringMatching(/^Waiting to resume: another run is training/) });
    expect(m.isQueuedHere(a.id)).toBe(true);
    m.resume(a.id); // a second click changes nothing

    expect((await m.whenSettled(b.id)).status).toBe('done');
    await aGoesOn;
    expect(storage.runs.require(a.id)).toMatchObject({ status: 'running', reason: null });
    expect(mostAtOnce).toBe(1);
    const bDone = log.indexOf('B done');
    expect(log.slice(log.indexOf('A paused'), bDone)).not.toContain('A progress');
    expect(log.slice(bDone)).toEqual(expect.arrayContaining(['A running', 'A progress']));

    m.stop(a.id);
    expect((await m.whenSettled(a.id)).status).toBe('stopped');
  });

  it('queues a 2×2 sweep as four linked runs that all finish', async () => {
    const m = manager({ concurrency: 2 });
    const { sweepId, runs } = createSweepRuns(storage, {
      corpusId, preset: 'reference', name: 'grid', base: tiny, grid: { hidden: [8, 12], lr: [0.01, 0.02] },
    });
    expect(runs).toHaveLength(4);
    expect(runs.map((r) => [r.hyper.hidden, r.hyper.lr])).toEqual([[8, 0.01], [8, 0.02], [12, 0.01], [12, 0.02]]);
    expect(new Set(runs.map((r) => r.sweepId))).toEqual(new Set([sweepId]));
    m.start();
    for (const run of runs) m.enqueue(run.id);
    const settled = await Promise.all(runs.map((r) => m.whenSettled(r.id)));
    expect(settled.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(storage.runs.list({ sweepId }).length).toBe(4);
  });

  it('parks running runs as paused at shutdown and resumes them from their checkpoint later', async () => {
    const first = manager();
    const run = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'parked', hyper: { ...tiny, steps: 100_000 } });
    first.start();
    const progress = nextRunEvent(first, (e) => e.type === 'progress' && e.runId === run.id && e.metric.step >= 3);
    first.enqueue(run.id);
    await progress;
    await first.shutdown({ pauseRunning: true });
    const parked = storage.runs.require(run.id);
    expect(parked.status).toBe('paused');
    expect(parked.ownerPid).toBeNull();
    const checkpoint = storage.checkpoints.latest(run.id)!;
    expect(checkpoint.step).toBe(parked.step);
    expect(decodeCheckpoint(storage.checkpoints.bytes(checkpoint.id)!).optimizer).toBeDefined();

    // The next start leaves a parked run alone; resume trains on from the checkpoint's step.
    const second = manager();
    second.start();
    expect(storage.runs.require(run.id).status).toBe('paused');
    const goesOn = nextRunEvent(second, (e) => e.type === 'progress' && e.runId === run.id);
    second.resume(run.id);
    const event = await goesOn;
    expect(event.type === 'progress' && event.metric.step).toBe(checkpoint.step + 1);
    second.stop(run.id);
    expect((await second.whenSettled(run.id)).status).toBe('stopped');
    expect(storage.integrityCheck()).toEqual(['ok']);
  });

  it('ends an early-stopping run done, with the reason its engine\'s exit carries as data', async () => {
    // Adam at a high rate on the whole seed corpus overfits within a few dozen steps: validation loss turns up.
    const hyper = { hidden: 16, embed: 8, window: 8, batch: 'full' as const, lr: 0.05, steps: 400, valFraction: 0.2, evalEvery: 5,
      earlyStopPatience: 3, checkpointEvery: 0, seed: 7, threads: 1 };
    const run = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'early', hyper });
    const m = manager();
    m.start();
    m.enqueue(run.id);
    const settled = await m.whenSettled(run.id);
    expect(settled.status).toBe('done');
    expect(settled.step).toBeLessThan(400);
    expect(settled.reason).toBe(`Finished at step ${settled.step} (early stop: the validation loss stopped improving).`);
    // A run that trains all its steps ends done with no reason.
    const full = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'full', hyper: { ...hyper, earlyStopPatience: 0, steps: 20 } });
    m.enqueue(full.id);
    expect(await m.whenSettled(full.id)).toMatchObject({ status: 'done', step: 20, reason: null });
  });

  it('marks only the runs whose host is provably gone as interrupted', async () => {
    const make = (name: string) => createQueuedRun(storage, { corpusId, preset: 'reference', name, hyper: tiny });
    const here = hostname();
    const now = Date.now();
    const liveLocal = make('live-local');
    storage.runs.claimRun(liveLocal.id, { pid: process.ppid, hostId: here }, now);
    const deadLocal = make('dead-local');
    storage.runs.claimRun(deadLocal.id, { pid: 2 ** 22 + 17, hostId: here }, now);
    const staleRemote = make('stale-remote');
    storage.runs.claimRun(staleRemote.id, { pid: 4242, hostId: 'elsewhere' }, now - 20_000);
    const freshRemote = make('fresh-remote');
    storage.runs.claimRun(freshRemote.id, { pid: 4242, hostId: 'elsewhere' }, now);
    const parked = make('parked');
    storage.runs.claimRun(parked.id, { pid: process.ppid, hostId: here }, now);
    storage.runs.setStatus(parked.id, 'paused', 'Paused when the workbench closed.');
    storage.runs.release(parked.id);
    const queued = make('still-queued');
    // Alive on this machine but silent for a minute (stopped, in a debugger): its pid says it is there.
    const silentLocal = make('silent-local');
    storage.runs.claimRun(silentLocal.id, { pid: process.ppid, hostId: here }, now);
    // A pid that belongs to a process started after the owner's last heartbeat: the owner died, its pid was reused.
    const newcomer = spawn('sleep', ['30'], { stdio: 'ignore' });
    newcomers.push(newcomer);
    const reusedPid = make('reused-pid');
    storage.runs.claimRun(reusedPid.id, { pid: newcomer.pid!, hostId: here }, now - 60_000);

    const m = manager();
    m.start();
    const status = (id: number) => storage.runs.require(id).status;
    expect(status(liveLocal.id)).toBe('running');
    expect(status(freshRemote.id)).toBe('running');
    expect(status(parked.id)).toBe('paused');
    expect(status(queued.id)).toBe('queued');
    expect(storage.runs.require(deadLocal.id)).toMatchObject({ status: 'interrupted', reason: expect.stringContaining(`pid ${2 ** 22 + 17}`), ownerPid: null });
    expect(storage.runs.require(staleRemote.id)).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(/on elsewhere .*no heartbeat for 20 s/) });
    // A minute later, with no heartbeat since.
    m.markInterrupted(now + 60_000);
    expect(status(silentLocal.id)).toBe('running');
    expect(storage.runs.require(reusedPid.id)).toMatchObject({ status: 'interrupted', reason: expect.stringContaining('belongs to another process') });
  });
});
