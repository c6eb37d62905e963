/**
 * Runs changed by other processes on the same database — the CLI, `serve`, another app — told as run
 * events here too. Each process only hears its own run manager, so without this an open UI would not
 * see a CLI-started run until it reloads. While someone listens, `PRAGMA data_version` (which changes
 * only when another connection commits) is read every second; when it moved, the runs are compared
 * with what was known and 'created', 'status', 'progress' (the latest stored metric) and 'deleted'
 * events are fired for what changed. This process's own events keep the picture current, so nothing
 * it did itself is told twice.
 */
import type { Statement } from 'better-sqlite3';
import type { RunManager } from '../runs/run-manager.ts';
import type { Storage } from '../storage/index.ts';
import type { Id, RunEvent, RunStatus } from './contract.ts';

interface Known {
  status: RunStatus;
  step: number;
}

export class ForeignRunWatcher {
  private readonly known = new Map<Id, Known>();
  private readonly dataVersion: Statement<[], { data_version: number }>;
  private lastVersion: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listeners = 0;

  constructor(private readonly storage: Storage, private readonly manager: RunManager, private readonly intervalMs = 1000) {
    this.dataVersion = storage.db.prepare('PRAGMA data_version');
    manager.onEvent((event) => this.noteOwn(event));
  }

  /** Watches while at least one listener holds it; returns the release. */
  retain(): () => void {
    this.listeners++;
    if (this.listeners === 1) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.listeners--;
      if (this.listeners === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.known.clear();
  }

  private start(): void {
    this.lastVersion = this.currentVersion();
    for (const run of this.storage.runs.list()) this.known.set(run.id, { status: run.status, step: run.step });
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  private currentVersion(): number {
    return this.dataVersion.get()!.data_version;
  }

  private noteOwn(event: RunEvent): void {
    if (!this.timer) return;
    if (event.type === 'deleted') {
      this.known.delete(event.runId);
      return;
    }
    const stored = this.storage.isOpen ? this.storage.runs.get(event.runId) : null;
    const run = stored && this.manager.asKnownHere(stored);
    if (run) this.known.set(run.id, { status: run.status, step: run.step });
  }

  private poll(): void {
    if (!this.storage.isOpen) return;
    try {
      const version = this.currentVersion();
      if (version === this.lastVersion) return;
      this.lastVersion = version;
      this.compare();
    } catch (error) {
      console.error('Looking for runs changed by other processes failed:', error);
    }
  }

  private compare(): void {
    const seen = new Set<Id>();
    // As this process knows them: an outcome it told but could not write yet is not undone here.
    for (const run of this.storage.runs.list().map((stored) => this.manager.asKnownHere(stored))) {
      seen.add(run.id);
      let before = this.known.get(run.id);
      this.known.set(run.id, { status: run.status, step: run.step });
      if (!before) {
        this.manager.emit({ type: 'created', runId: run.id });
        // It may have got far between two looks: tell where it is now as well.
        before = { status: 'queued', step: 0 };
      }
      if (before.status !== run.status) this.manager.emit({ type: 'status', runId: run.id, status: run.status, reason: run.reason });
      // Our own engines report their progress themselves.
      if (before.step !== run.step && !this.manager.isActive(run.id)) {
        const last = this.storage.metrics.last(run.id);
        if (last) {
          const { wallTime: _wallTime, ...metric } = last;
          this.manager.emit({ type: 'progress', runId: run.id, metric: { ...metric, totalSteps: run.totalSteps } });
        }
      }
    }
    for (const id of [...this.known.keys()]) {
      if (seen.has(id)) continue;
      this.known.delete(id);
      this.manager.emit({ type: 'deleted', runId: id });
    }
  }
}
