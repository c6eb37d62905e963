/**
 * The application's shared state: the corpora and runs the host knows, the view on screen, and the
 * live series of every run, fed by api.onRunEvent. Views read it; only this class talks to the event
 * stream, so a run's curve keeps growing while another view is open.
 */
import { SvelteMap } from 'svelte/reactivity';
import type {
  CorpusSummary, Id, RunEvent, RunStatus, RunSummary, SampleRecord,
} from '../../../main/api/contract.ts';
import type { ProgressMetrics } from '../../../engine/protocol.ts';
import { api, messageOf, onConnectionChange } from './api.ts';

export type View = 'start' | 'corpora' | 'new-run' | 'training' | 'compare' | 'playground' | 'inspect' | 'storage';
export const VIEWS: View[] = ['start', 'corpora', 'new-run', 'training', 'compare', 'playground', 'inspect', 'storage'];

export const LIVE_STATUSES: RunStatus[] = ['queued', 'running', 'paused'];
const MAX_POINTS = 2000;

/** One run's loss curve: loaded from api.runMetrics, then extended by progress events (one repaint per frame). */
export class RunSeries {
  steps = $state.raw<number[]>([]);
  train = $state.raw<(number | null)[]>([]);
  val = $state.raw<(number | null)[]>([]);
  latest = $state.raw<ProgressMetrics | null>(null);
  loading = $state(false);
  #pending: ProgressMetrics[] = [];
  #frame = 0;
  #loaded = false;

  constructor(readonly runId: Id) {}

  async load(): Promise<void> {
    if (this.#loaded || this.loading) return;
    this.loading = true;
    try {
      const points = await api.runMetrics(this.runId, { maxPoints: MAX_POINTS });
      const lastLoaded = points.length ? points[points.length - 1].step : -1;
      // Progress events that arrived during the load and are newer than the history are kept.
      const newer = this.#pending.filter((m) => m.step > lastLoaded);
      this.#pending = [];
      this.steps = [...points.map((p) => p.step), ...newer.map((m) => m.step)];
      this.train = [...points.map((p) => p.trainLoss), ...newer.map((m) => m.trainLoss)];
      this.val = [...points.map((p) => p.valLoss), ...newer.map((m) => m.valLoss)];
      this.#loaded = true;
    } finally {
      this.loading = false;
    }
  }

  /** Loads the history again: metrics came in other than by events (an imported project folder). */
  async reload(): Promise<void> {
    if (this.loading) return;
    this.#loaded = false;
    await this.load();
  }

  push(metric: ProgressMetrics): void {
    this.latest = metric;
    // Before the history is asked for, the host's metrics will include this point anyway.
    if (!this.#loaded && !this.loading) return;
    this.#pending.push(metric);
    if (!this.#loaded || this.#frame) return;
    this.#frame = requestAnimationFrame(() => this.#flush());
  }

  #flush(): void {
    this.#frame = 0;
    const batch = this.#pending;
    this.#pending = [];
    let steps = this.steps.concat(batch.map((m) => m.step));
    let train = this.train.concat(batch.map((m) => m.trainLoss));
    let val = this.val.concat(batch.map((m) => m.valLoss));
    if (steps.length > MAX_POINTS * 2) {
      // Halve the resolution, keeping every validation point so the sparse curve survives.
      const keep = (_: unknown, i: number) => i % 2 === 0 || val[i] !== null || i === steps.length - 1;
      steps = steps.filter(keep);
      train = train.filter(keep);
      val = val.filter(keep);
    }
    this.steps = steps;
    this.train = train;
    this.val = val;
  }
}

class Workbench {
  #view = $state<View>('corpora');
  /** Set once anything picks a view: the start page then no longer takes over an empty database. */
  #navigated = false;
  get view(): View {
    return this.#view;
  }
  set view(view: View) {
    this.#navigated = true;
    this.#view = view;
  }
  corpora = $state<CorpusSummary[]>([]);
  runs = $state<RunSummary[]>([]);
  /** A message for the whole window (lost connection, failed refresh). */
  banner = $state<string | null>(null);
  series = new SvelteMap<Id, RunSeries>();
  samples = new SvelteMap<Id, SampleRecord>();
  /** Playground preselection, set by "Open in playground" buttons. */
  playgroundRun = $state<Id | null>(null);
  /** Inspect preselection, set by "Inspect" buttons (a run card, the playground). */
  inspectTarget = $state<{ runId: Id; checkpointId: Id | null } | null>(null);
  #unsubscribe: (() => void) | null = null;
  #refreshTimer = 0;

  liveRuns = $derived(this.runs.filter((run) => LIVE_STATUSES.includes(run.status)));

  /** False while the WebSocket transport is reconnecting (events may have been missed meanwhile). */
  connected = $state(true);
  #unsubscribeConnection: (() => void) | null = null;

  async start(): Promise<void> {
    this.#unsubscribe ??= api.onRunEvent((event) => this.#onEvent(event));
    this.#unsubscribeConnection ??= onConnectionChange((state) => {
      const wasConnected = this.connected;
      this.connected = state === 'open';
      // Back after a drop: what happened meanwhile is only in the host's lists.
      if (this.connected && !wasConnected) void Promise.all([this.refreshCorpora(), this.refreshRuns()]);
    });
    await Promise.all([this.refreshCorpora(), this.refreshRuns()]);
    // A first start (nothing stored yet) opens on the start page, unless a view was picked meanwhile.
    if (!this.#navigated && this.corpora.length === 0 && this.runs.length === 0) this.#view = 'start';
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#unsubscribeConnection?.();
    this.#unsubscribeConnection = null;
  }

  async refreshCorpora(): Promise<void> {
    try {
      this.corpora = await api.listCorpora();
    } catch (error) {
      this.banner = messageOf(error);
    }
  }

  async refreshRuns(): Promise<void> {
    try {
      this.runs = await api.listRuns();
    } catch (error) {
      this.banner = messageOf(error);
    }
  }

  seriesOf(runId: Id): RunSeries {
    let series = this.series.get(runId);
    if (!series) {
      series = new RunSeries(runId);
      this.series.set(runId, series);
    }
    return series;
  }

  run(runId: Id): RunSummary | undefined {
    return this.runs.find((run) => run.id === runId);
  }

  #patchRun(runId: Id, patch: Partial<RunSummary>): void {
    const index = this.runs.findIndex((run) => run.id === runId);
    if (index >= 0) this.runs[index] = { ...this.runs[index], ...patch };
  }

  /** Coalesce list refreshes: a sweep creates many runs at once. Corpora carry run counts, so they follow. */
  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = window.setTimeout(() => void Promise.all([this.refreshRuns(), this.refreshCorpora()]), 150);
  }

  #onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'progress': {
        const m = event.metric;
        this.#patchRun(event.runId, {
          step: m.step,
          totalSteps: m.totalSteps,
          lastTrainLoss: m.trainLoss,
          charsPerSec: m.charsPerSec,
          ...(m.valLoss !== null ? { lastValLoss: m.valLoss } : {}),
        });
        this.seriesOf(event.runId).push(m);
        break;
      }
      case 'status':
        this.#patchRun(event.runId, { status: event.status, reason: event.reason });
        if (!LIVE_STATUSES.includes(event.status)) this.#scheduleRefresh();
        break;
      case 'checkpoint':
        this.#patchRun(event.runId, event.checkpoint.valLoss !== null ? { lastValLoss: event.checkpoint.valLoss } : {});
        break;
      case 'sample':
        this.samples.set(event.runId, event.sample);
        break;
      case 'created':
      case 'deleted':
        if (event.type === 'deleted') this.series.delete(event.runId);
        this.#scheduleRefresh();
        break;
    }
  }
}

export const workbench = new Workbench();
