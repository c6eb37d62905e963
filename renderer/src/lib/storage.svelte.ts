/**
 * Storage management: database size and tables, vacuum, renaming and deleting runs and corpora
 * (each deletion confirmed with what else goes, from the API's delete impact).
 */
import type { DeleteImpact, Id, StorageInfo } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { workbench } from './workbench.svelte.ts';

export type PendingDelete = { kind: 'run' | 'corpus'; id: Id; name: string; impact: DeleteImpact };

export class StorageState {
  info = $state.raw<StorageInfo | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  concurrency = $state<number | null>(null);
  pending = $state.raw<PendingDelete | null>(null);
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
      this.pending = { kind, id, name, impact };
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async confirmDelete(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    try {
      if (pending.kind === 'run') await api.deleteRun(pending.id);
      else await api.deleteCorpus(pending.id, { cascade: pending.impact.runs.length > 0 });
      await Promise.all([workbench.refreshRuns(), workbench.refreshCorpora(), this.load()]);
    } catch (error) {
      this.error = messageOf(error);
    }
  }
}
