/**
 * The Corpora view's state: the open corpus, its stats for a window size, imports and edits.
 * Everything is saved through the API; this class only holds what is on screen.
 */
import type { CorpusDetail, CorpusStats, DeleteImpact, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { workbench } from './workbench.svelte.ts';

export class CorpusWorkspace {
  selected = $state.raw<CorpusDetail | null>(null);
  stats = $state.raw<CorpusStats | null>(null);
  window = $state(10);
  /** Unsaved edit in the editor (its length; the text stays in CodeMirror). */
  dirty = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  busy = $state(false);
  pendingDelete = $state.raw<{ id: Id; name: string; impact: DeleteImpact } | null>(null);

  async open(id: Id): Promise<void> {
    this.error = null;
    this.notice = null;
    try {
      this.selected = await api.getCorpus(id);
      this.dirty = false;
      await this.loadStats();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async loadStats(): Promise<void> {
    if (!this.selected) return;
    const window = Math.floor(Number(this.window));
    if (!Number.isInteger(window) || window < 1) {
      this.stats = null;
      return;
    }
    try {
      this.stats = await api.corpusStats(this.selected.id, window, 'next');
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  /** Add from pasted text or file bytes; the host validates (an empty corpus is refused with a message). */
  async add(input: { name: string; text?: string; bytes?: Uint8Array; source: string; normalize: boolean }, emptyMessage: string): Promise<boolean> {
    this.error = null;
    this.notice = null;
    const empty = input.bytes ? input.bytes.length === 0 : !input.text;
    if (empty) {
      this.error = emptyMessage;
      return false;
    }
    this.busy = true;
    try {
      const summary = await api.addCorpus(input);
      await workbench.refreshCorpora();
      await this.open(summary.id);
      return true;
    } catch (error) {
      this.error = messageOf(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async saveText(text: string, emptyMessage: string): Promise<void> {
    if (!this.selected) return;
    this.error = null;
    if (text.length === 0) {
      this.error = emptyMessage;
      return;
    }
    this.busy = true;
    try {
      await api.updateCorpus(this.selected.id, { text });
      await workbench.refreshCorpora();
      await this.open(this.selected.id);
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.busy = false;
    }
  }

  async rename(name: string): Promise<void> {
    if (!this.selected) return;
    this.error = null;
    try {
      await api.updateCorpus(this.selected.id, { name });
      await workbench.refreshCorpora();
      this.selected = { ...this.selected, name };
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async askDelete(): Promise<void> {
    if (!this.selected) return;
    try {
      const impact = await api.corpusDeleteImpact(this.selected.id);
      this.pendingDelete = { id: this.selected.id, name: this.selected.name, impact };
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async confirmDelete(): Promise<void> {
    const pending = this.pendingDelete;
    this.pendingDelete = null;
    if (!pending) return;
    try {
      await api.deleteCorpus(pending.id, { cascade: pending.impact.runs.length > 0 });
      if (this.selected?.id === pending.id) {
        this.selected = null;
        this.stats = null;
      }
      await Promise.all([workbench.refreshCorpora(), workbench.refreshRuns()]);
    } catch (error) {
      this.error = messageOf(error);
    }
  }
}
