/**
 * RunManager when the database refuses its writes or other processes change its runs, on a real
 * database file with real engine processes. A full disk is made with `PRAGMA max_page_count` on the
 * manager's own connection: SQLite then answers SQLITE_FULL ("database or disk is full") exactly as
 * on a full disk (cli-disk-full.test.ts does it with a real tmpfs).
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../main/api/contract.ts';
import { createWorkbenchService } from '../../main/api/service.ts';
import { createQueuedRun } from '../../main/runs/run-factory.ts';
import { RunManager } from '../../main/runs/run-manager.ts';
import type { Storage } from '../../main/storage/index.ts';
import { hasEnded } from './cli-helpers.ts';
import { nextRunEvent, openSeededStorage } from './run-helpers.ts';

/** A checkpoint of about 60 pages, one every 5 steps, none pruned: the database only grows. */
const growing = { hidden: 64, embed: 8, steps: 100_000, checkpointEvery: 5, keepLast: 1000, threads: 1 };

let dir: string;
let dbPath: string;
let storage: Storage;
let corpusId: number;
const managers: RunManager[] = [];

function manager(options: Partial<ConstructorParameters<typeof RunManager>[0]> = {}): RunManager {
  const m = new RunManager({ storage, ...options });
  managers.push(m);
  return m;
}

beforeEach(() => {
  ({ dir, dbPath, storage, corpusId } = openSeededStorage('run-manager-faults-'));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.shutdown({ graceMs: 2000 });
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (name: string, hyper: object = growing) => createQueuedRun(storage, { corpusId, preset: 'reference', name, hyper });

/** From now on the database cannot grow by more than a few pages: the next checkpoint does not fit. */
function fillTheDisk(): void {
  const pages = storage.db.pragma('page_count', { simple: true }) as number;
  storage.db.pragma(`max_page_count = ${pages + 10}`);
}

function makeRoom(): void {
  storage.db.pragma('max_page_count = 1073741823');
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a full disk', () => {
  it('fails the run whose write was refused and parks the host\'s other runs, training and queued, saying why', async () => {
    const m = manager({ concurrency: 2 });
    const first = run('first');
    const second = run('second');
    const waiting = run('waiting'); // queued behind the concurrency limit
    const events: RunEvent[] = [];
    m.onEvent((event) => events.push(event));
    m.start();
    const training = Promise.all([first, second].map((r) => nextRunEvent(m, (e) => e.type === 'checkpoint' && e.runId === r.id)));
    for (const r of [first, second, waiting]) m.enqueue(r.id);
    await training;
    const engines = [first, second].map((r) => m.enginePid(r.id)!);

    fillTheDisk();
    const settled = await Promise.all([first, second, waiting].map((r) => m.whenSettled(r.id)));

    const failed = settled.filter((r) => r.status === 'failed');
    expect(failed, 'exactly one run fails: the one whose write was refused').toHaveLength(1);
    expect(failed[0].reason).toMatch(new RegExp(
      `^The disk is full: the (checkpoint at step \\d+|metrics of steps? [\\d–]+) could not be written to "${escape(dbPath)}"\\. ` +
        'Free some space on that disk \\(or delete runs and checkpoints you no longer need\\), then continue the run from its last checkpoint\\.$',
    ));
    const pauseReason = `The disk is full: run "${failed[0].name}" could not write to "${dbPath}", so this run was paused. ` +
      'Free some space on that disk, then resume it from its last checkpoint.';
    const parked = settled.filter((r) => r.status !== 'failed');
    expect(parked.map((r) => r.name).sort()).toEqual([first.id === failed[0].id ? 'second' : 'first', 'waiting'].sort());
    for (const r of parked) {
      expect(storage.runs.require(r.id)).toMatchObject({ status: 'paused', reason: pauseReason, ownerPid: null });
      // Told once, as paused: never failed.
      expect(events.filter((e) => e.type === 'status' && e.runId === r.id && e.status !== 'running')).toEqual([
        { type: 'status', runId: r.id, status: 'paused', reason: pauseReason },
      ]);
    }
    expect(storage.runs.require(failed[0].id)).toMatchObject({ status: 'failed', reason: failed[0].reason, ownerPid: null });
    // Its stored step agrees with its stored metrics: nothing after the refused write was kept.
    expect(storage.runs.require(failed[0].id).step).toBe(storage.metrics.last(failed[0].id)!.step);
    expect(m.activeRunIds()).toEqual([]);
    for (const pid of engines) await until(() => hasEnded(pid), `engine ${pid} to end`);
    expect(storage.integrityCheck()).toEqual(['ok']);

    // With room again, a parked run resumes from its latest checkpoint.
    makeRoom();
    const trained = parked.find((r) => r.name !== 'waiting')!;
    const latest = storage.checkpoints.latest(trained.id)!;
    const goesOn = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === trained.id);
    m.resume(trained.id);
    const progress = await goesOn;
    expect(progress.type === 'progress' && progress.metric.step).toBe(latest.step + 1);
    m.stop(trained.id);
    expect((await m.whenSettled(trained.id)).status).toBe('stopped');
  });

  it('keeps an outcome the disk has no room for, tells it at once, and writes it when there is room', async () => {
    const m = manager({ heartbeatMs: 100 });
    const only = run('only');
    m.start();
    const checkpointed = nextRunEvent(m, (e) => e.type === 'checkpoint' && e.runId === only.id);
    m.enqueue(only.id);
    await checkpointed;
    // Even the small status update is refused (a trigger stands in for the last free page going).
    storage.db.exec(`CREATE TEMP TRIGGER refuse_failed BEFORE UPDATE OF status ON main.runs WHEN NEW.status = 'failed'
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const told = nextRunEvent(m, (e) => e.type === 'status' && e.runId === only.id);
      fillTheDisk();
      const event = await told;
      expect(event).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^The disk is full: /) });
      expect((await m.whenSettled(only.id)).status).toBe('failed');
      // Stored: still running and held by this process, so no host calls it interrupted meanwhile.
      expect(storage.runs.require(only.id)).toMatchObject({ status: 'running', ownerPid: process.pid });
      expect(m.markInterrupted()).toEqual([]);
      // Each complaint is one line, never a stack trace.
      for (const call of logged.mock.calls) expect(call.map(String).join(' ')).not.toMatch(/\n\s+at /);

      makeRoom();
      storage.db.exec('DROP TRIGGER refuse_failed');
      await until(() => storage.runs.require(only.id).status === 'failed', 'the kept outcome to be written');
      expect(storage.runs.require(only.id)).toMatchObject({ reason: (event as { reason: string }).reason, ownerPid: null });
    } finally {
      logged.mockRestore();
    }
  });

  it('shows an outcome waiting for room in the service\'s run reads, so a reloaded UI sees the failure', async () => {
    const service = createWorkbenchService({ storage, adoptQueued: false });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const checkpointed = nextRunEvent(service, (e) => e.type === 'checkpoint');
    const only = await service.createRun({ corpusId, preset: 'reference', name: 'only', hyper: growing });
    try {
      await checkpointed;
      storage.db.exec(`CREATE TEMP TRIGGER refuse_failed BEFORE UPDATE OF status ON main.runs WHEN NEW.status = 'failed'
        BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
      const told = nextRunEvent(service, (e) => e.type === 'status' && e.runId === only.id);
      fillTheDisk();
      const event = await told;
      expect(event).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^The disk is full: /) });
      const reason = (event as { reason: string }).reason;
      expect(storage.runs.require(only.id).status, 'not written: the disk has no room').toBe('running');
      // What a UI that reloads reads: the outcome told, not the stale 'running'.
      expect(await service.getRun(only.id)).toMatchObject({ status: 'failed', reason });
      expect((await service.listRuns()).find((r) => r.id === only.id)).toMatchObject({ status: 'failed', reason });
      expect(await service.resolveRun('only')).toMatchObject({ status: 'failed', reason });

      makeRoom();
      storage.db.exec('DROP TRIGGER refuse_failed');
    } finally {
      await service.close();
      logged.mockRestore();
    }
    // Written at the latest when the service closes.
    expect(storage.runs.require(only.id)).toMatchObject({ status: 'failed', ownerPid: null });
  });

  it('leaves a run whose outcome never fitted to the next host, which finds its owner gone and marks it interrupted', async () => {
    const m = manager();
    const only = run('only');
    m.start();
    const checkpointed = nextRunEvent(m, (e) => e.type === 'checkpoint' && e.runId === only.id);
    m.enqueue(only.id);
    await checkpointed;
    storage.db.exec(`CREATE TEMP TRIGGER refuse_failed BEFORE UPDATE OF status ON main.runs WHEN NEW.status = 'failed'
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      fillTheDisk();
      expect((await m.whenSettled(only.id)).status).toBe('failed');
      await m.shutdown();
    } finally {
      logged.mockRestore();
    }
    expect(storage.runs.require(only.id).status).toBe('running');

    makeRoom();
    const next = manager();
    next.start();
    expect(storage.runs.require(only.id)).toMatchObject({
      status: 'interrupted', reason: 'The process that trained it ended without finishing it.', ownerPid: null,
    });
  });
});

describe('runs changed by another process', () => {
  const small = { hidden: 12, embed: 6, steps: 1_000_000, threads: 1 };

  it('stops a run on another process\'s request, on its next heartbeat tick', async () => {
    const m = manager({ heartbeatMs: 100 });
    const asked = run('asked', small);
    m.start();
    const training = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === asked.id);
    m.enqueue(asked.id);
    await training;
    expect(storage.runs.requestStop(asked.id)).toBe(true);
    const stopped = await m.whenSettled(asked.id);
    expect(stopped).toMatchObject({ status: 'stopped', reason: 'Stopped at the request of another workbench process.', ownerPid: null });
    expect(storage.checkpoints.latest(asked.id)?.kind).toBe('final');
  });

  it('ends the engine of a run deleted under it, quietly: a deleted event, nothing logged', async () => {
    const m = manager({ heartbeatMs: 100 });
    const doomed = run('doomed', small);
    m.start();
    const training = nextRunEvent(m, (e) => e.type === 'progress' && e.runId === doomed.id);
    m.enqueue(doomed.id);
    await training;
    const engine = m.enginePid(doomed.id)!;
    const logged = vi.spyOn(console, 'error');
    try {
      const deleted = nextRunEvent(m, (e) => e.type === 'deleted' && e.runId === doomed.id);
      // As a process that does not ask would: straight in the database.
      storage.db.prepare('DELETE FROM runs WHERE id = ?').run(doomed.id);
      await deleted;
      await until(() => hasEnded(engine), `engine ${engine} to end`);
      await until(() => !m.isActive(doomed.id), 'the run to leave the manager');
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });
});
