/**
 * The Compare view's state: which runs and checkpoints are compared (one column each; several
 * checkpoints of one run may sit side by side), the host's CompareResult, and how the table is shown (differences only, column order by a clicked row).
 */
import { SvelteMap } from 'svelte/reactivity';
import type { CheckpointSummary, CompareInput, CompareResult, CompareRow, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { downloadText } from './format.ts';

/** One column of the comparison: a run at its best checkpoint (checkpointId null) or at a chosen one. */
export interface CompareEntry {
  /** Stable across edits, for keyed lists. */
  key: number;
  runId: Id;
  checkpointId: Id | null;
}

export class CompareState {
  /** The columns asked for, in the order they were added; a run may have several (one per checkpoint). */
  selection = $state<CompareEntry[]>([]);
  checkpoints = new SvelteMap<Id, CheckpointSummary[]>();
  /** The checkpoint the host means by a run's "best" (its rule, not ours), once known. */
  bestCheckpoint = new SvelteMap<Id, Id | null>();
  prompt = $state('');
  sampleLength = $state(80);
  result = $state.raw<CompareResult | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  differencesOnly = $state(false);
  /** Sort columns by this row (field name), ascending or descending; null = the host's order. */
  sortBy = $state<{ field: string; descending: boolean } | null>(null);
  #nextKey = 1;

  isPicked(runId: Id): boolean {
    return this.selection.some((entry) => entry.runId === runId);
  }

  entriesOf(runId: Id): CompareEntry[] {
    return this.selection.filter((entry) => entry.runId === runId);
  }

  /** The run's checkbox: on adds one column at its best checkpoint; off removes every column of the run. */
  toggle(runId: Id, on: boolean, runName: string): void {
    if (on) {
      if (!this.isPicked(runId)) this.selection.push({ key: this.#nextKey++, runId, checkpointId: null });
      void this.#loadCheckpoints(runId, runName);
    } else {
      this.selection = this.selection.filter((entry) => entry.runId !== runId);
    }
  }

  /** Another column for the run: its newest checkpoint not shown yet (null when every one is). */
  nextCheckpoint(runId: Id): Id | null {
    const shown = new Set(this.entriesOf(runId).map((entry) => entry.checkpointId ?? this.bestCheckpoint.get(runId)));
    const list = this.checkpoints.get(runId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (!shown.has(list[i].id)) return list[i].id;
    return null;
  }

  addColumn(runId: Id): void {
    const checkpointId = this.nextCheckpoint(runId);
    if (checkpointId !== null) this.selection.push({ key: this.#nextKey++, runId, checkpointId });
  }

  /** Drops the columns of runs that no longer exist (deleted elsewhere), so Compare never asks for them. */
  keepRuns(existing: ReadonlySet<Id>): void {
    if (this.selection.some((entry) => !existing.has(entry.runId))) {
      this.selection = this.selection.filter((entry) => existing.has(entry.runId));
    }
  }

  removeColumn(key: number): void {
    this.selection = this.selection.filter((entry) => entry.key !== key);
  }

  setCheckpoint(key: number, checkpointId: Id | null): void {
    const entry = this.selection.find((e) => e.key === key);
    if (entry) entry.checkpointId = checkpointId;
  }

  /** Checkpoints are fetched again each time a run is picked: a running run gains new ones. */
  async #loadCheckpoints(runId: Id, runName: string): Promise<void> {
    try {
      const [list, best] = await Promise.all([
        api.listCheckpoints(runId),
        api.resolveCheckpoint(`${runName}@best`).catch(() => null),
      ]);
      this.checkpoints.set(runId, list);
      this.bestCheckpoint.set(runId, best?.id ?? null);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  input(): CompareInput {
    // The same column asked for twice would only repeat itself.
    const runIds = new Set<Id>();
    const checkpointIds = new Set<Id>();
    for (const { runId, checkpointId } of this.selection) {
      if (checkpointId === null) runIds.add(runId);
      else checkpointIds.add(checkpointId);
    }
    return {
      ...(runIds.size ? { runIds: [...runIds] } : {}),
      ...(checkpointIds.size ? { checkpointIds: [...checkpointIds] } : {}),
      ...(this.prompt ? { prompt: this.prompt, sampleLength: Number(this.sampleLength) } : {}),
      maxPoints: 500,
    };
  }

  async compare(): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.busy = true;
    try {
      this.result = await api.compare(this.input());
      this.sortBy = null;
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.busy = false;
    }
  }

  /** One file per click: browsers may hold back a second download started by the same click. */
  async exportCsv(which: 'table' | 'curves'): Promise<void> {
    this.error = null;
    try {
      const csv = await api.compareCsv(this.input());
      downloadText(`compare-${which}.csv`, csv[which]);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  /** Column indices in display order. */
  order = $derived.by((): number[] => {
    const result = this.result;
    if (!result) return [];
    const indices = result.columns.map((_, i) => i);
    const sort = this.sortBy;
    if (!sort) return indices;
    const row = [...result.hyperparameters, ...result.metrics].find((r) => r.field === sort.field);
    if (!row) return indices;
    const key = (v: string | number | null) => (v === null ? Number.POSITIVE_INFINITY : v);
    indices.sort((a, b) => {
      const x = key(row.values[a]);
      const y = key(row.values[b]);
      const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.descending ? -cmp : cmp;
    });
    return indices;
  });

  sortOn(field: string): void {
    this.sortBy = this.sortBy?.field === field ? { field, descending: !this.sortBy.descending } : { field, descending: false };
  }

  rows(rows: CompareRow[]): CompareRow[] {
    return this.differencesOnly ? rows.filter((r) => r.differs) : rows;
  }
}

/** Kept for the session: switching views keeps the selection and the last result. */
export const compareState = new CompareState();
