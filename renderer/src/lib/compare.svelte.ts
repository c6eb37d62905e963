/**
 * The Compare view's state: which runs (or which of their checkpoints) are compared, the host's
 * CompareResult, and how the table is shown (differences only, column order by a clicked row).
 */
import { SvelteMap } from 'svelte/reactivity';
import type { CheckpointSummary, CompareInput, CompareResult, CompareRow, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { downloadText } from './format.ts';

export class CompareState {
  /** runId → checkpoint id, or null for the run's default (its best checkpoint). */
  selection = new SvelteMap<Id, Id | null>();
  checkpoints = new SvelteMap<Id, CheckpointSummary[]>();
  prompt = $state('');
  sampleLength = $state(80);
  result = $state.raw<CompareResult | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  differencesOnly = $state(false);
  /** Sort columns by this row (field name), ascending or descending; null = the host's order. */
  sortBy = $state<{ field: string; descending: boolean } | null>(null);

  toggle(runId: Id, on: boolean): void {
    if (on) {
      this.selection.set(runId, null);
      if (!this.checkpoints.has(runId)) {
        api.listCheckpoints(runId).then((list) => this.checkpoints.set(runId, list), (e) => (this.error = messageOf(e)));
      }
    } else {
      this.selection.delete(runId);
    }
  }

  input(): CompareInput {
    const runIds: Id[] = [];
    const checkpointIds: Id[] = [];
    for (const [runId, checkpointId] of this.selection) {
      if (checkpointId === null) runIds.push(runId);
      else checkpointIds.push(checkpointId);
    }
    return {
      ...(runIds.length ? { runIds } : {}),
      ...(checkpointIds.length ? { checkpointIds } : {}),
      ...(this.prompt ? { prompt: this.prompt, sampleLength: Number(this.sampleLength) } : {}),
      maxPoints: 500,
    };
  }

  async compare(): Promise<void> {
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
