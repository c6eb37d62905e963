/**
 * The Playground's state: the chosen checkpoint, next-character predictions that follow the text as it
 * is typed (debounced; a newer answer always wins), generation, gate traces and .safetensors import.
 * All inference runs in the host through the API, so typing never waits on the model.
 */
import type { CheckpointSummary, Id, PredictResult, TraceResult, VocabularySource } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import type { TraceCell } from './gate-equations.ts';
import { finalCheckpoint } from './checkpoint-pick.ts';
import { workbench } from './workbench.svelte.ts';

/** Units a heatmap shows at once; a wider layer scrolls through them (rows stay readable). */
export const UNITS_SHOWN = 32;

export class Playground {
  runId = $state<Id | null>(null);
  checkpointId = $state<Id | null>(null);
  checkpoints = $state.raw<CheckpointSummary[]>([]);
  /** The run's best checkpoint (lowest validation loss), offered beside the final one that opens by default. */
  bestCheckpointId = $state<Id | null>(null);
  /** The model's characters (the run's vocabulary, else its corpus's), to mark unknown ones as they are typed. */
  vocabulary = $state.raw<Set<string> | null>(null);
  text = $state('');
  k = $state(10);
  prediction = $state.raw<PredictResult | null>(null);
  predictError = $state<string | null>(null);
  predicting = $state(false);

  length = $state(200);
  temperature = $state(0.8);
  topK = $state(0);
  topP = $state(1);
  seed = $state(1);
  generated = $state<string | null>(null);
  /** The text generation started from: what was typed, or the host's default when nothing was. */
  generatedPrime = $state('');
  generateError = $state<string | null>(null);
  generating = $state(false);

  trace = $state.raw<TraceResult | null>(null);
  traceError = $state<string | null>(null);
  tracing = $state(false);
  layer = $state(0);
  unit = $state(0);
  /** Re-trace as the text changes, and when another run or checkpoint is picked. */
  followText = $state(true);
  /** The character and unit the gates readout shows (hover or arrow keys), and the first unit row shown. */
  focus = $state<TraceCell | null>(null);
  unitStart = $state(0);

  importError = $state<string | null>(null);
  importing = $state(false);

  #predictTimer = 0;
  #predictSeq = 0;
  #traceSeq = 0;

  unknown = $derived.by((): string[] => {
    const vocab = this.vocabulary;
    if (!vocab) return [];
    return [...new Set(Array.from(this.text).filter((ch) => !vocab.has(ch)))];
  });

  /**
   * A 'next' model reads only the last `window` characters of a longer text; the host says so only when
   * the text is shorter, so the UI says it here. Counted on the text the shown prediction read.
   */
  readsLastWindow = $derived.by((): { window: number; chars: number } | null => {
    const hyper = this.runId === null ? undefined : workbench.run(this.runId)?.hyper;
    const text = this.prediction?.text;
    if (!hyper || hyper.objective !== 'next' || text === undefined) return null;
    const chars = Array.from(text).length;
    return chars > hyper.window ? { window: hyper.window, chars } : null;
  });

  async selectRun(runId: Id | null): Promise<void> {
    this.runId = runId;
    this.checkpointId = null;
    this.checkpoints = [];
    this.vocabulary = null;
    this.bestCheckpointId = null;
    this.prediction = null;
    this.generated = null;
    // The gates stay on screen while another run loads when they follow the text (replaced, not blanked).
    if (!this.followText) this.trace = null;
    if (runId === null) {
      this.trace = null;
      return;
    }
    try {
      const [checkpoints, best] = await Promise.all([
        api.listCheckpoints(runId),
        api.resolveCheckpoint(String(runId)).catch(() => null),
      ]);
      if (this.runId !== runId) return;
      this.checkpoints = checkpoints;
      this.bestCheckpointId = best?.id ?? null;
      this.checkpointId = finalCheckpoint(checkpoints)?.id ?? best?.id ?? null;
      const vocabulary = await this.#vocabularyOf(runId);
      if (this.runId === runId) this.vocabulary = vocabulary;
      this.schedulePredict(0);
      this.#followText();
    } catch (error) {
      this.predictError = messageOf(error);
    }
  }

  /** The run's own vocabulary (imported runs have no corpus); hosts without it fall back to the corpus. */
  async #vocabularyOf(runId: Id): Promise<Set<string> | null> {
    const detail = await api.getRun(runId);
    if (Array.isArray(detail.vocab) && detail.vocab.length > 0) return new Set(detail.vocab);
    if (detail.corpusId === null) return null;
    const stats = await api.corpusStats(detail.corpusId, 1);
    return new Set(stats.frequencies.map((f) => f.char));
  }

  selectCheckpoint(id: Id): void {
    this.checkpointId = id;
    if (!this.followText) this.trace = null;
    this.schedulePredict(0);
    this.#followText();
  }

  #followText(): void {
    // A trace of the previous model is never left beside another one.
    if (this.followText && this.text.length > 0 && this.checkpointId !== null) void this.runTrace();
    else this.trace = null;
  }

  /** Shows this character and unit in the readout, scrolling the unit rows to it. */
  setFocus(cell: TraceCell): void {
    this.focus = cell;
    this.showUnit(cell.unit);
  }

  /** Picks the unit for the unit chart, scrolling the unit rows to it. */
  pickUnit(unit: number): void {
    this.unit = unit;
    this.showUnit(unit);
  }

  showUnit(unit: number): void {
    if (unit < this.unitStart) this.unitStart = unit;
    else if (unit >= this.unitStart + UNITS_SHOWN) this.unitStart = unit - UNITS_SHOWN + 1;
  }

  schedulePredict(delay = 120): void {
    clearTimeout(this.#predictTimer);
    this.#predictTimer = window.setTimeout(() => void this.#predict(), delay);
  }

  async #predict(): Promise<void> {
    const checkpointId = this.checkpointId;
    if (checkpointId === null || this.text.length === 0) {
      this.prediction = null;
      this.predictError = null;
      return;
    }
    const seq = ++this.#predictSeq;
    this.predicting = true;
    try {
      const result = await api.predict({ checkpointId, text: this.text, k: Number(this.k) });
      if (seq !== this.#predictSeq) return;
      this.prediction = result;
      this.predictError = null;
    } catch (error) {
      if (seq !== this.#predictSeq) return;
      this.prediction = null;
      this.predictError = messageOf(error);
    } finally {
      if (seq === this.#predictSeq) this.predicting = false;
    }
  }

  async generate(): Promise<void> {
    if (this.checkpointId === null || this.generating) return;
    this.generating = true;
    this.generateError = null;
    try {
      const result = await api.generate({
        checkpointId: this.checkpointId,
        prime: this.text,
        length: Number(this.length),
        temperature: Number(this.temperature),
        ...(Number(this.topK) > 0 ? { topK: Number(this.topK) } : {}),
        ...(Number(this.topP) < 1 ? { topP: Number(this.topP) } : {}),
        seed: Number(this.seed),
      });
      this.generated = result.text;
      this.generatedPrime = result.prime ?? this.text;
    } catch (error) {
      this.generated = null;
      this.generateError = messageOf(error);
    } finally {
      this.generating = false;
    }
  }

  async runTrace(): Promise<void> {
    if (this.checkpointId === null || this.text.length === 0) return;
    const seq = ++this.#traceSeq;
    this.tracing = true;
    this.traceError = null;
    try {
      const result = await api.trace({ checkpointId: this.checkpointId, text: this.text });
      if (seq !== this.#traceSeq) return;
      this.trace = result;
      this.layer = Math.min(this.layer, result.layers.length - 1);
      const H = result.layers[0] ? Object.values(result.layers[0].gates)[0]?.[0]?.length ?? 0 : 0;
      this.unit = Math.min(this.unit, Math.max(0, H - 1));
      this.unitStart = Math.max(0, Math.min(this.unitStart, H - UNITS_SHOWN));
      // The readout keeps its place in the new text where it can; it never points past it.
      if (this.focus) {
        this.focus = result.chars.length === 0 ? null : {
          position: Math.min(this.focus.position, result.chars.length - 1),
          unit: Math.min(this.focus.unit, Math.max(0, H - 1)),
        };
      }
    } catch (error) {
      if (seq !== this.#traceSeq) return;
      this.trace = null;
      this.traceError = messageOf(error);
    } finally {
      if (seq === this.#traceSeq) this.tracing = false;
    }
  }

  /** The file's name without its extension; a file exported from a run here would clash with that run. */
  #importName(fileName: string): string {
    const stem = fileName.replace(/\.safetensors$/i, '') || 'imported';
    const taken = new Set(workbench.runs.map((run) => run.name));
    if (!taken.has(stem)) return stem;
    for (let n = 1; ; n++) {
      const name = n === 1 ? `${stem} (imported)` : `${stem} (imported ${n})`;
      if (!taken.has(name)) return name;
    }
  }

  async importFile(file: File, vocab: VocabularySource | undefined): Promise<void> {
    this.importing = true;
    this.importError = null;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const run = await api.importCheckpoint({ name: this.#importName(file.name), bytes, ...(vocab ? { vocab } : {}) });
      await workbench.refreshRuns();
      await this.selectRun(run.id);
    } catch (error) {
      this.importError = messageOf(error);
    } finally {
      this.importing = false;
    }
  }
}

/** Kept for the session: switching views keeps the checkpoint and the text. */
export const playground = new Playground();
