// One database file shared by several connections and processes, as the app, `serve` and the CLI
// share it: WAL lets readers work during a write, the busy timeout queues writers, migrations run
// once, and a run whose owning process was killed is recognised as interrupted by another process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { LATEST_VERSION, Storage, type Id, type NewMetric } from '../../main/storage/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const storageModule = pathToFileURL(path.join(repoRoot, 'main/storage/index.ts')).href;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-shared-'));
  file = path.join(dir, 'shared.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a script under tsx in a child process; `storage` in the script is the storage module. */
function runScript(name: string, body: string, args: string[] = []): ChildProcess {
  const script = path.join(dir, `${name}.mjs`);
  writeFileSync(script, `const storage = await import(${JSON.stringify(storageModule)});\n${body}\n`);
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.once('close', (code) => reject(new Error(`child exited (${code}) before writing a line`)));
  });
}

function newRun(storage: Storage, name: string): Id {
  const hyper = PRESETS.reference.hyper;
  const vocabulary = storage.vocabularies.getOrCreate(['a', 'b']);
  return storage.runs.create({
    name, corpusId: null, vocabularyId: vocabulary.id, hyper,
    reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: 1, hyper },
  }).id;
}

function metric(runId: Id, step: number): NewMetric {
  return {
    runId, step, epoch: step, trainLoss: 1 / step, trainLossAvg: 1 / step, valLoss: null, bitsPerChar: 1, valBitsPerChar: null,
    accuracy: 0, valAccuracy: null, gradNorm: 0, lr: 0.01, charsPerSec: 1, elapsedMs: step,
  };
}

describe('two connections in WAL mode', () => {
  it('a reader keeps its snapshot while a writer commits, and sees the rows afterwards', () => {
    const writer = Storage.open(file);
    const reader = Storage.open(file);
    try {
      const runId = newRun(writer, 'shared');
      writer.metrics.appendBatch([metric(runId, 1)]);
      const countRows = reader.db.prepare('SELECT count(*) AS n FROM metrics');
      reader.db.exec('BEGIN');
      expect(countRows.get()).toEqual({ n: 1 });
      // With a rollback journal this commit would wait for the reader; in WAL it goes through at once.
      writer.metrics.appendBatch([metric(runId, 2), metric(runId, 3)]);
      expect(countRows.get()).toEqual({ n: 1 });
      reader.db.exec('COMMIT');
      expect(countRows.get()).toEqual({ n: 3 });
      expect(reader.runs.get(runId)!.lastTrainLoss).toBe(1 / 3);
    } finally {
      reader.close();
      writer.close();
    }
  });
});

describe('several processes on one file', () => {
  it('migrates once when processes open a fresh file at the same moment', async () => {
    const children = Array.from({ length: 3 }, (_, i) =>
      runScript(`open-${i}`, `const s = storage.Storage.open(process.argv[2]); console.log(s.schemaVersion); s.close();`, [file]));
    const results = await Promise.all(children.map(finished));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Number(r.stdout.trim())).toBe(LATEST_VERSION);
    }
    const storage = Storage.open(file);
    expect(storage.integrityCheck()).toEqual(['ok']);
    storage.close();
  });

  it('writes from two processes at once all land (the busy timeout queues writers)', async () => {
    const storage = Storage.open(file);
    try {
      const mine = newRun(storage, 'parent-writer');
      const theirs = newRun(storage, 'child-writer');
      const batches = 200;
      const perBatch = 10;
      const child = runScript('writer', `
        const [file, runId, batches, perBatch] = process.argv.slice(2);
        const s = storage.Storage.open(file);
        for (let b = 0; b < Number(batches); b++) {
          const rows = [];
          for (let i = 0; i < Number(perBatch); i++) {
            const step = b * Number(perBatch) + i + 1;
            rows.push({ runId: Number(runId), step, epoch: step, trainLoss: 1, trainLossAvg: 1, valLoss: null, bitsPerChar: 1,
              valBitsPerChar: null, accuracy: 0, valAccuracy: null, gradNorm: 0, lr: 0.01, charsPerSec: 1, elapsedMs: step });
          }
          s.recordProgress(Number(runId), rows);
        }
        s.close();
      `, [file, String(theirs), String(batches), String(perBatch)]);
      const done = finished(child);
      for (let b = 0; b < batches; b++) {
        storage.recordProgress(mine, Array.from({ length: perBatch }, (_, i) => metric(mine, b * perBatch + i + 1)));
        if (b % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const result = await done;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(storage.metrics.count(mine)).toBe(batches * perBatch);
      expect(storage.metrics.count(theirs)).toBe(batches * perBatch);
      expect(storage.runs.get(theirs)!.step).toBe(batches * perBatch);
      expect(storage.integrityCheck()).toEqual(['ok']);
    } finally {
      storage.close();
    }
  });

  /** A separate process that claims a run and keeps its heartbeat, printing "claimed" once it owns it. */
  const startOwner = (name: string, runId: number) => runScript(name, `
      const [file, runId] = process.argv.slice(2);
      const s = storage.Storage.open(file);
      if (!s.runs.claimRun(Number(runId))) throw new Error('claim refused');
      setInterval(() => s.runs.heartbeatOwned(), 500);
      console.log('claimed');
    `, [file, String(runId)]);

  it('leaves the run of a live but stopped owner on this machine running, however stale its heartbeat', async () => {
    const storage = Storage.open(file);
    const victim = newRun(storage, 'frozen');
    const child = startOwner('frozen-owner', victim);
    const closed = finished(child);
    try {
      expect(await firstLine(child)).toBe('claimed');
      child.kill('SIGSTOP');
      // As seen a minute later: the heartbeat is long stale, yet the pid is alive, so the owner is not gone.
      expect(storage.runs.markInterruptedIfOwnerDead({ now: Date.now() + 60_000 })).toEqual([]);
      expect(storage.runs.get(victim)).toMatchObject({ status: 'running', ownerPid: child.pid });
    } finally {
      child.kill('SIGKILL');
      child.kill('SIGCONT');
      await closed;
    }
    try {
      const marked = storage.runs.markInterruptedIfOwnerDead();
      expect(marked.map((r) => r.id)).toEqual([victim]);
      expect(marked[0].reason).toContain(`pid ${child.pid}`);
    } finally {
      storage.close();
    }
  });

  it('recognises a run whose owning process was killed as interrupted, and only that run', async () => {
    const storage = Storage.open(file);
    try {
      const victim = newRun(storage, 'victim');
      const child = startOwner('owner', victim);
      const closed = finished(child);
      expect(await firstLine(child)).toBe('claimed');

      const owned = storage.runs.get(victim)!;
      expect(owned).toMatchObject({ status: 'running', ownerPid: child.pid });
      // The owner is alive and beating: nobody may take or interrupt its run.
      expect(storage.runs.markInterruptedIfOwnerDead()).toEqual([]);
      expect(storage.runs.claimRun(victim)).toBeNull();

      child.kill('SIGKILL');
      await closed;
      const marked = storage.runs.markInterruptedIfOwnerDead();
      expect(marked.map((r) => r.id)).toEqual([victim]);
      expect(marked[0].status).toBe('interrupted');
      expect(marked[0].reason).toContain(`pid ${child.pid}`);
      expect(storage.integrityCheck()).toEqual(['ok']);
    } finally {
      storage.close();
    }
  });
});
