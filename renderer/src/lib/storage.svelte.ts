/**
 * Storage management: database size and tables, vacuum, renaming and deleting runs and corpora
 * (each deletion confirmed with what else goes, from the API's delete impact).
 */
import type { DeleteImpact, Id, StorageInfo } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { Deletion } from './deletion.svelte.ts';
import { workbench } from './workbench.svelte.ts';

export type PendingDelete = { kind: 'run' | 'corpus'; id: Id; name: string; impact: DeleteImpact };

export class StorageState {
  info = $state.raw<StorageInfo | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  concurrency = $state<number | null>(null);
  pending = $state.raw<PendingDelete | null>(null);
  readonly deletion = new Deletion();
  vacuumedFrom = $state<number | null>(null);

  async load(): Promise<void> {
    try {
      [this.info, this.concurrency] = await Promise.all([api.storageInfo(), api.getConcurrency()]);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async vacuum(): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.vacuumedFrom = this.info?.bytes ?? null;
      this.info = await api.vacuum();
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.busy = false;
    }
  }

  async setConcurrency(limit: number): Promise<void> {
    this.error = null;
    try {
      await api.setConcurrency(limit);
      this.concurrency = await api.getConcurrency();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async renameRun(id: Id, name: string): Promise<void> {
    this.error = null;
    try {
      await api.renameRun(id, name);
      await workbench.refreshRuns();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async renameCorpus(id: Id, name: string): Promise<void> {
    this.error = null;
    try {
      await api.updateCorpus(id, { name });
      await workbench.refreshCorpora();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async askDelete(kind: 'run' | 'corpus', id: Id, name: string): Promise<void> {
    this.error = null;
    try {
      const impact = kind === 'run' ? await api.runDeleteImpact(id) : await api.corpusDeleteImpact(id);
      this.deletion.reset();
      this.pending = { kind, id, name, impact };
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  /** Refused while another process trains the run: the dialog stays, with its sentence and "Stop it and delete". */
  async confirmDelete(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    try {
      const deleted = await this.deletion.attempt((options) => pending.kind === 'run'
        ? api.deleteRun(pending.id, options)
        : api.deleteCorpus(pending.id, { cascade: pending.impact.runs.length > 0, ...options }));
      if (!deleted) return;
      this.pending = null;
      await Promise.all([workbench.refreshRuns(), workbench.refreshCorpora(), this.load()]);
    } catch (error) {
      this.pending = null;
      this.error = messageOf(error);
    }
  }

  cancelDelete(): void {
    this.pending = null;
    this.deletion.reset();
  }
}
