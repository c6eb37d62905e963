/**
 * The Corpora view's state: the open corpus, its stats for a window size, imports and edits.
 * Everything is saved through the API; this class only holds what is on screen.
 */
import type { CorpusDetail, CorpusStats, DeleteImpact, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { Deletion } from './deletion.svelte.ts';
import { workbench } from './workbench.svelte.ts';

/** Bytes per upload piece: the progress bar moves with each, and no message nears the transport's limit. */
const UPLOAD_PIECE_BYTES = 8 * 2 ** 20;

export class CorpusWorkspace {
  selected = $state.raw<CorpusDetail | null>(null);
  stats = $state.raw<CorpusStats | null>(null);
  window = $state<number | null>(10);
  /** The window size typed, or null while it is not a whole number of at least 1 (the view says so). */
  windowSize = $derived.by(() => {
    const size = Number(this.window ?? NaN);
    return Number.isInteger(size) && size >= 1 ? size : null;
  });
  /** Unsaved edit in the editor (its length; the text stays in CodeMirror). */
  dirty = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  busy = $state(false);
  /** How far the file being imported got (bytes sent of its size); null when none is. */
  upload = $state.raw<{ name: string; done: number; total: number } | null>(null);
  pendingDelete = $state.raw<{ id: Id; name: string; impact: DeleteImpact } | null>(null);
  readonly deletion = new Deletion();
  /** Stats answers can overtake each other while a window size is typed: only the latest request's is shown. */
  #statsRequest = 0;

  async open(id: Id): Promise<void> {
    this.error = null;
    this.notice = null;
    try {
      const corpus = await api.getCorpus(id);
      // Another corpus's statistics must not stay on screen (they would while the window size is invalid).
      if (corpus.id !== this.selected?.id) this.stats = null;
      this.selected = corpus;
      this.dirty = false;
      await this.loadStats();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async loadStats(): Promise<void> {
    const window = this.windowSize;
    // An invalid size keeps the character statistics; only the window count waits for a valid one.
    if (!this.selected || window === null) return;
    const request = ++this.#statsRequest;
    try {
      const stats = await api.corpusStats(this.selected.id, window, 'next');
      if (request === this.#statsRequest) this.stats = stats;
    } catch (error) {
      if (request === this.#statsRequest) this.error = messageOf(error);
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

  /**
   * Adds a file sent in pieces, read from disk a piece at a time (a big file is never in the page whole),
   * with `upload` showing how far it got; the host stores it as `add` would.
   */
  async addFile(file: File, options: { source: string; normalize: boolean }, emptyMessage: string): Promise<boolean> {
    this.error = null;
    this.notice = null;
    if (file.size === 0) {
      this.error = emptyMessage;
      return false;
    }
    this.busy = true;
    this.upload = { name: file.name, done: 0, total: file.size };
    try {
      const { uploadId } = await api.startCorpusUpload({ name: file.name, bytes: file.size, ...options });
      for (let offset = 0; offset < file.size; offset += UPLOAD_PIECE_BYTES) {
        const piece = new Uint8Array(await file.slice(offset, offset + UPLOAD_PIECE_BYTES).arrayBuffer());
        const { received } = await api.corpusUploadPiece(uploadId, piece);
        this.upload = { name: file.name, done: received, total: file.size };
      }
      const summary = await api.finishCorpusUpload(uploadId);
      await workbench.refreshCorpora();
      await this.open(summary.id);
      return true;
    } catch (error) {
      this.error = messageOf(error);
      return false;
    } finally {
      this.busy = false;
      this.upload = null;
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
      this.deletion.reset();
      this.pendingDelete = { id: this.selected.id, name: this.selected.name, impact };
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  /** Refused while another process trains one of its runs: the dialog stays, with its sentence and "Stop it and delete". */
  async confirmDelete(): Promise<void> {
    const pending = this.pendingDelete;
    if (!pending) return;
    try {
      const deleted = await this.deletion.attempt((options) => api.deleteCorpus(pending.id, { cascade: pending.impact.runs.length > 0, ...options }));
      if (!deleted) return;
      this.pendingDelete = null;
      if (this.selected?.id === pending.id) {
        this.selected = null;
        this.stats = null;
      }
      await Promise.all([workbench.refreshCorpora(), workbench.refreshRuns()]);
    } catch (error) {
      this.pendingDelete = null;
      this.error = messageOf(error);
    }
  }

  cancelDelete(): void {
    this.pendingDelete = null;
    this.deletion.reset();
  }
}
