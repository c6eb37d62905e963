/**
 * The load of issue 8's event-loop target, on the real service and a real database file: a 20-run
 * compare (20,000 metric rows each), a 100,000-character generation and two training runs (real engine
 * processes), all at once — while a StallWatch watches the event loop of this thread: the one that owns
 * the connections (the service in process, as the browser host and the app's backend run it) or the
 * window (a page's port to the backend process, see tests/main/event-loop.test.ts). Shared by
 * bench/event-loop.ts (the figure) and tests/main/event-loop.test.ts (a bound that can fail).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Id, RunEvent, WorkbenchApi } from '../main/api/contract.ts';
import { createWorkbenchService } from '../main/api/service.ts';
import { Storage } from '../main/storage/index.ts';
import { fillRuns } from './metric-rows.ts';
import { SHARED } from './workloads.ts';

export interface LoadOptions {
  /** Inference and compare in query worker threads (as `serve` and the app's backend run them), or in this thread. */
  offload: boolean;
  runs?: number;
  rows?: number;
  generateLength?: number;
}

export interface StallReport {
  offload: boolean;
  /** The longest the event loop was held up (how late a 10 ms timer came), its 99th percentile and mean, in ms. */
  maxStallMs: number;
  p99StallMs: number;
  meanStallMs: number;
  /**
   * Of the longest hold-ups, the part the thread itself was running (Linux: /proc/thread-self/schedstat):
   * its own work. The rest of a hold-up is time it waited for a CPU on a busy machine. Null elsewhere.
   */
  maxBusyStallMs: number | null;
  compareMs: number;
  generateMs: number;
  generatedChars: number;
  comparedRuns: number;
  /** Progress events of the two training runs seen while the load ran. */
  trainingEvents: number;
}

/** A database with the filled runs, a trained checkpoint to generate from, and the seed corpus. */
export interface Prepared {
  dir: string;
  dbPath: string;
  runIds: Id[];
  corpusId: Id;
  checkpointId: Id;
  remove(): void;
}

export async function prepareLoad(options: { runs?: number; rows?: number } = {}): Promise<Prepared> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-event-loop-'));
  const dbPath = path.join(dir, 'workbench.db');
  const storage = Storage.open(dbPath);
  const runIds = fillRuns(storage, options.runs ?? 20, options.rows ?? 20_000);
  const corpusId = storage.corpora.add({ name: 'hello', text: readFileSync(path.join(SHARED, 'corpora', 'seed-hello-rnn.txt'), 'utf8') }).corpus.id;
  storage.close();
  // A small model, really trained, to generate from.
  const service = createWorkbenchService({ dbPath, concurrency: 1 });
  try {
    const run = await service.createRun({ corpusId, preset: 'reference', name: 'writer', hyper: { hidden: 32, embed: 16, steps: 30 } });
    await service.runs.whenSettled(run.id);
    const checkpointId = (await service.listCheckpoints(run.id)).at(-1)!.id;
    return { dir, dbPath, runIds, corpusId, checkpointId, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    await service.close();
  }
}

/** Runs the load once on a prepared database, with the service in this process, and reports how long this thread's event loop was held up. */
export async function measureStalls(prepared: Prepared, options: LoadOptions): Promise<StallReport> {
  const service = createWorkbenchService({ dbPath: prepared.dbPath, concurrency: 2, offload: options.offload, adoptQueued: false });
  try {
    return { offload: options.offload, ...(await runLoad(service, prepared, options.generateLength)) };
  } finally {
    await service.close();
  }
}

/**
 * The load through any WorkbenchApi (the service in process, or a page's port to the app's backend
 * process), measured on this thread: two runs start training, then the compare and the generation run
 * at once; the training runs are stopped after.
 */
export async function runLoad(api: WorkbenchApi, prepared: Prepared, generateLength = 100_000): Promise<Omit<StallReport, 'offload'>> {
  const training = await startTraining(api, prepared.corpusId);
  let trainingEvents = 0;
  const stopCounting = api.onRunEvent((event) => {
    if (event.type === 'progress' && training.includes(event.runId)) trainingEvents++;
  });
  try {
    // Warm both query workers (thread start, kernels, model) outside the window measured: a page that
    // has been open a while finds them warm.
    await Promise.all([1, 2].map(() => api.predict({ checkpointId: prepared.checkpointId, text: 'He' })));

    const watch = new StallWatch();
    const timed = async <T>(call: () => Promise<T>) => {
      const t0 = performance.now();
      const value = await call();
      return { value, ms: performance.now() - t0 };
    };
    const [compared, generated] = await Promise.all([
      timed(() => api.compare({ runIds: prepared.runIds, maxPoints: 500 })),
      timed(() => api.generate({ checkpointId: prepared.checkpointId, prime: 'He', length: generateLength, seed: 7 })),
    ]);
    const stalls = watch.stop();
    return {
      ...stalls,
      compareMs: compared.ms,
      generateMs: generated.ms,
      generatedChars: Array.from(generated.value.text).length,
      comparedRuns: compared.value.columns.length,
      trainingEvents,
    };
  } finally {
    stopCounting();
    for (const id of training) await api.stopRun(id);
  }
}

/** Names no earlier round on this database has taken. */
let round = 0;

/** Two long runs, returned once both have reported progress (their engines are up and training). */
async function startTraining(api: WorkbenchApi, corpusId: Id): Promise<Id[]> {
  round++;
  const ids: Id[] = [];
  const progressed = new Set<Id>();
  let resolveBoth!: () => void;
  const both = new Promise<void>((resolve) => (resolveBoth = resolve));
  const off = api.onRunEvent((event: RunEvent) => {
    if (event.type !== 'progress' || !ids.includes(event.runId)) return;
    progressed.add(event.runId);
    if (progressed.size === 2) resolveBoth();
  });
  for (const name of ['a', 'b']) {
    const hyper = { hidden: 32, embed: 16, steps: 10_000_000 };
    ids.push((await api.createRun({ corpusId, preset: 'reference', name: `trainer-${process.pid}-${round}-${name}`, hyper })).id);
  }
  await both;
  off();
  return ids;
}

const TICK_MS = 10;
const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * Watches this thread's event loop with a 10 ms timer: how late each tick comes (wall), and how much of
 * that wait the thread spent running (schedstat's first field: ns on a CPU) — a loop held up by its own
 * work runs all along; one held up by a busy machine waits on a run queue.
 */
export class StallWatch {
  private readonly stalls: number[] = [];
  private maxBusy = 0;
  private readonly hasSchedstat = existsSync(SCHEDSTAT);
  private last = performance.now();
  private lastRunNs = this.runNs();
  private readonly timer = setInterval(() => this.tick(), TICK_MS);

  stop(): Pick<StallReport, 'maxStallMs' | 'p99StallMs' | 'meanStallMs' | 'maxBusyStallMs'> {
    clearInterval(this.timer);
    this.tick();
    const sorted = [...this.stalls].sort((a, b) => a - b);
    return {
      maxStallMs: sorted.at(-1) ?? 0,
      p99StallMs: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
      meanStallMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
      maxBusyStallMs: this.hasSchedstat ? this.maxBusy : null,
    };
  }

  private tick(): void {
    const now = performance.now();
    const runNs = this.runNs();
    this.stalls.push(Math.max(0, now - this.last - TICK_MS));
    this.maxBusy = Math.max(this.maxBusy, (runNs - this.lastRunNs) / 1e6);
    this.last = now;
    this.lastRunNs = runNs;
  }

  private runNs(): number {
    return this.hasSchedstat ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) : 0;
  }
}
