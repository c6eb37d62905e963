/**
 * Undo a deletion: the host moves what is deleted to its trash (main/storage/trash.ts) and answers the
 * trash item; the toast offers to put it back for UNDO_MS. Views that list checkpoints watch
 * `restoredCount` (runs and corpora come back through the workbench's lists).
 */
import type { TrashItem } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { t } from './i18n.svelte.ts';
import { workbench } from './workbench.svelte.ts';

export const UNDO_MS = 10_000;

/** How a trash item is named in the toast, in the UI's language. */
export function trashItemLabel(item: TrashItem): string {
  if (item.kind === 'run') return t('delete.run', { name: item.name });
  if (item.kind === 'corpus') return t('delete.corpus', { name: item.name });
  return t('undo.checkpoint', { name: item.name });
}

class Undo {
  item = $state.raw<TrashItem | null>(null);
  /** After an undo: what came back, or why it could not (the host's sentence). */
  restored = $state.raw<TrashItem | null>(null);
  failure = $state<string | null>(null);
  restoredCount = $state(0);
  #timer = 0;

  offer(item: TrashItem): void {
    this.item = item;
    this.restored = null;
    this.failure = null;
    clearTimeout(this.#timer);
    this.#timer = window.setTimeout(() => this.dismiss(), UNDO_MS);
  }

  dismiss(): void {
    clearTimeout(this.#timer);
    this.item = null;
    this.restored = null;
    this.failure = null;
  }

  /** The sentence after an undo, in the UI's language as it is now. */
  get outcome(): string | null {
    return this.restored ? t('undo.restored', { what: trashItemLabel(this.restored) }) : this.failure;
  }

  async undo(): Promise<void> {
    const item = this.item;
    if (!item) return;
    clearTimeout(this.#timer);
    try {
      await api.restoreTrash(item.id);
      this.restored = item;
      this.restoredCount++;
      await Promise.all([workbench.refreshCorpora(), workbench.refreshRuns()]);
    } catch (error) {
      this.failure = messageOf(error);
    }
    this.item = null;
    this.#timer = window.setTimeout(() => this.dismiss(), UNDO_MS);
  }
}

export const undo = new Undo();
