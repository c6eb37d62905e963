/**
 * What survives a crash. An engine process killed mid-run leaves a failed run whose checkpoints load
 * and continue exactly; a host process killed mid-run leaves a run the next start marks interrupted,
 * in a sound database, and that run continues to the end.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { REPO_ROOT } from '../../main/runs/launcher.ts';
import { createContinuation, createQueuedRun } from '../../main/runs/run-factory.ts';
import { RunManager } from '../../main/runs/run-manager.ts';
import { isPidAlive, type Storage } from '../../main/storage/index.ts';
import { nextRunEvent, openSeededStorage } from './run-helpers.ts';

const hyper = { hidden: 12, embed: 6, steps: 60, checkpointEvery: 10, keepLast: 10, seed: 7 };

let dir: string;
let dbPath: string;
let storage: Storage;
let corpusId: number;
const managers: RunManager[] = [];

beforeEach(() => {
  ({ dir, dbPath, storage, corpusId } = openSeededStorage('crash-recovery-'));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.shutdown({ graceMs: 2000 });
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function startManager(): RunManager {
  const m = new RunManager({ storage, concurrency: 2 });
  managers.push(m);
  m.start();
  return m;
}

async function eventually(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The last training loss stored for a run, and its final parameters. */
function outcome(runId: number): { loss: number; params: Float32Array } {
  const metrics = storage.metrics.list(runId);
  const final = storage.checkpoints.latestOfKind(runId, 'final')!;
  return { loss: metrics[metrics.length - 1].trainLoss, params: decodeCheckpoint(storage.checkpoints.bytes(final.id)!).params };
}

describe('crash recovery', () => {
  it('fails a run whose engine is killed; its checkpoint continues to the same final loss', async () => {
    const m = startManager();
    const straight = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'straight', hyper });
    const crashing = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'crashing', hyper });
    const checkpointed = nextRunEvent(m, (e) => e.type === 'checkpoint' && e.runId === crashing.id && e.checkpoint.step >= 20);
    m.enqueue(straight.id);
    m.enqueue(crashing.id);
    await checkpointed;
    process.kill(m.enginePid(crashing.id)!, 'SIGKILL');

    const failed = await m.whenSettled(crashing.id);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/killed by signal SIGKILL/);
    expect(storage.integrityCheck()).toEqual(['ok']);
    const last = storage.checkpoints.latest(crashing.id)!;
    expect(last.step).toBeGreaterThanOrEqual(20);
    expect(last.step).toBeLessThan(60);
    const decoded = decodeCheckpoint(storage.checkpoints.bytes(last.id)!);
    expect(decoded.step).toBe(last.step);

    expect((await m.whenSettled(straight.id)).status).toBe('done');
    const continued = createContinuation(storage, { runId: crashing.id, checkpointId: last.id });
    expect(continued.parentRunId).toBe(crashing.id);
    expect(continued.step).toBe(last.step);
    m.enqueue(continued.id);
    const done = await m.whenSettled(continued.id);
    expect(done.status).toBe('done');
    expect(done.step).toBe(60);
    const metrics = storage.metrics.list(continued.id);
    expect(metrics[0].step).toBe(last.step + 1);
    const a = outcome(straight.id);
    const b = outcome(continued.id);
    expect(b.loss).toBe(a.loss);
    expect(Buffer.from(b.params.buffer, b.params.byteOffset, b.params.byteLength).equals(
      Buffer.from(a.params.buffer, a.params.byteOffset, a.params.byteLength))).toBe(true);
  });

  it('marks a run interrupted after its host was killed, and continues it to the end', async () => {
    const run = createQueuedRun(storage, { corpusId, preset: 'reference', name: 'orphan', hyper: { ...hyper, steps: 100_000 } });
    // A host in its own process: a RunManager training the run, reporting its engine's pid and checkpoints.
    const script = `
      import { Storage } from ${JSON.stringify(path.join(REPO_ROOT, 'main/storage/index.ts'))};
      import { RunManager } from ${JSON.stringify(path.join(REPO_ROOT, 'main/runs/run-manager.ts'))};
      const storage = Storage.open(process.env.DB_PATH);
      const manager = new RunManager({ storage, heartbeatMs: 500 });
      manager.onEvent((e) => {
        if (e.type === 'checkpoint') console.log(JSON.stringify({ step: e.checkpoint.step, engine: manager.enginePid(e.runId) }));
      });
      manager.start();
      manager.enqueue(Number(process.env.RUN_ID));
    `;
    const host = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT, env: { ...process.env, DB_PATH: dbPath, RUN_ID: String(run.id) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const hostExited = new Promise<void>((resolve) => host.on('exit', () => resolve()));
    const report = await new Promise<{ step: number; engine: number }>((resolve, reject) => {
      createInterface({ input: host.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { step: number; engine: number };
        if (message.step >= 20) resolve(message);
      });
      host.on('exit', (code) => reject(new Error(`The host exited early (code ${code}).`)));
    });
    expect(storage.runs.require(run.id).status).toBe('running');
    expect(storage.runs.require(run.id).ownerPid).toBe(host.pid);

    host.kill('SIGKILL');
    await hostExited;
    // The engine notices its parent is gone and ends by itself.
    await eventually(() => !isPidAlive(report.engine), 'the orphaned engine to exit');

    const m = startManager();
    const interrupted = storage.runs.require(run.id);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.reason).toContain(`pid ${host.pid}`);
    expect(interrupted.ownerPid).toBeNull();
    expect(storage.integrityCheck()).toEqual(['ok']);
    const last = storage.checkpoints.latest(run.id)!;
    expect(last.step).toBeGreaterThanOrEqual(20);
    expect(decodeCheckpoint(storage.checkpoints.bytes(last.id)!).step).toBe(last.step);

    const continued = createContinuation(storage, { runId: run.id, steps: last.step + 15 });
    m.enqueue(continued.id);
    const done = await m.whenSettled(continued.id);
    expect(done.status).toBe('done');
    expect(done.step).toBe(last.step + 15);
    expect(storage.integrityCheck()).toEqual(['ok']);
  });
});
