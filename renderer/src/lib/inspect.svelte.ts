/**
 * The Inspect view's state: the checkpoint and text traced (in the host's inspect process, polled
 * with progress and cancel), the unit the text is coloured by, the position the readout shows, the
 * surprise colourings (loss, change against a second checkpoint, network minus n-gram), units found by
 * a pattern or by a selected span, and gate saturation. The numbers come from the API; this class only
 * asks for them and keeps the newest answer.
 */
import type {
  CharClassTotal, CheckpointSummary, FindUnitsResult, Id, InspectEstimate, InspectJob, InspectSource, InspectSummary,
  LossComparison, NgramResult, PositionDetail, RankMeasure, SaturationResult, SelectionResult, UnitRef, UnitValues,
} from '../../../main/api/contract.ts';
import { markPositions } from '../../../engine/inspect/marks.ts';
import { api, messageOf } from './api.ts';
import { finalCheckpoint } from './checkpoint-pick.ts';
import { downloadText } from './format.ts';

export type SourceKind = 'validation' | 'corpus' | 'text';
export type ColourBy = 'unit' | 'loss' | 'compare' | 'ngram';

/** Presets for "find units": the patterns of the 2015 paper's interpretable cells. */
export const PATTERN_PRESETS = [
  { id: 'quotes', pattern: '"[^"]*"' },
  { id: 'parens', pattern: '\\([^()]*\\)' },
  { id: 'newline', pattern: '(?<=\\n)[^\\n]' },
  { id: 'word', pattern: '(?<=\\p{L})\\p{L}+' },
  { id: 'column', pattern: '(?<=(?:^|\\n)[^\\n]{40})[^\\n]+' },
] as const;
export type PresetId = (typeof PATTERN_PRESETS)[number]['id'];

/** Traces above this size say so before they start. */
export const LARGE_TRACE_BYTES = 64 * 1024 ** 2;
/** Characters a strip of "find units" shows. */
export const STRIP_CHARS = 120;
const POLL_MS = 200;

export function unitLabel(unit: UnitRef): string {
  return `l${unit.layer}.${unit.kind}.${unit.unit}`;
}

/** Polls a job until it is no longer running; `onUpdate` sees each state; stops early when `current()` turns false. */
async function follow(job: InspectJob, onUpdate: (job: InspectJob) => void, current: () => boolean): Promise<InspectJob> {
  let now = job;
  onUpdate(now);
  while (now.state === 'running' && current()) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!current()) break;
    now = await api.inspectStatus(now.jobId);
    if (current()) onUpdate(now);
  }
  return now;
}

export class Inspect {
  runId = $state<Id | null>(null);
  checkpointId = $state<Id | null>(null);
  checkpoints = $state.raw<CheckpointSummary[]>([]);

  sourceKind = $state<SourceKind>('validation');
  corpusId = $state<Id | null>(null);
  pasted = $state('');
  length = $state(20_000);

  estimate = $state.raw<InspectEstimate | null>(null);
  estimateError = $state<string | null>(null);
  job = $state.raw<InspectJob | null>(null);
  error = $state<string | null>(null);

  summary = $state.raw<InspectSummary | null>(null);
  chars = $state.raw<string[]>([]);
  unit = $state<UnitRef>({ layer: 0, kind: 'h', unit: 0 });
  unitValues = $state.raw<UnitValues | null>(null);
  lossBits = $state.raw<(number | null)[] | null>(null);
  classes = $state.raw<CharClassTotal[]>([]);
  colourBy = $state<ColourBy>('unit');

  /** The position the readout shows (hover or arrow keys) and what the host says about it. */
  focus = $state<number | null>(null);
  detail = $state.raw<PositionDetail | null>(null);

  /** A selected span [start, end) for the LSTMVis search. */
  selection = $state.raw<{ start: number; end: number } | null>(null);
  threshold = $state(0.3);
  selectionResult = $state.raw<SelectionResult | null>(null);
  selectionError = $state<string | null>(null);

  pattern = $state<string>(PATTERN_PRESETS[0].pattern);
  measure = $state<RankMeasure>('auc');
  found = $state.raw<FindUnitsResult | null>(null);
  strips = $state.raw<{ unit: UnitRef & { name: string; score: number; direction: number }; values: UnitValues }[]>([]);
  stripWindow = $state.raw<{ start: number; end: number; marks: Uint8Array } | null>(null);
  findError = $state<string | null>(null);
  finding = $state(false);

  otherRunId = $state<Id | null>(null);
  otherCheckpointId = $state<Id | null>(null);
  otherCheckpoints = $state.raw<CheckpointSummary[]>([]);
  otherJob = $state.raw<InspectJob | null>(null);
  otherError = $state<string | null>(null);
  comparison = $state.raw<LossComparison | null>(null);
  otherSaturation = $state.raw<SaturationResult | null>(null);

  ngramJob = $state.raw<InspectJob | null>(null);
  ngram = $state.raw<NgramResult | null>(null);
  ngramBits = $state.raw<(number | null)[] | null>(null);
  ngramError = $state<string | null>(null);

  saturation = $state.raw<SaturationResult | null>(null);

  #seq = 0;
  #estimateSeq = 0;
  #detailSeq = 0;
  #unitSeq = 0;
  #otherSeq = 0;

  running = $derived(this.job?.state === 'running');
  traceId = $derived(this.summary?.traceId ?? null);

  /** The source as the API takes it. */
  source(): InspectSource {
    if (this.sourceKind === 'text') return { kind: 'text', text: this.pasted };
    const length = Math.max(1, Math.floor(Number(this.length) || 20_000));
    if (this.sourceKind === 'corpus') return { kind: 'corpus', corpusId: this.corpusId ?? -1, length };
    return { kind: 'validation', length };
  }

  async selectRun(runId: Id | null, checkpointId: Id | null = null): Promise<void> {
    this.runId = runId;
    this.checkpoints = [];
    this.checkpointId = null;
    if (runId === null) return;
    try {
      const checkpoints = await api.listCheckpoints(runId);
      if (this.runId !== runId) return;
      this.checkpoints = checkpoints;
      this.checkpointId = checkpointId ?? finalCheckpoint(checkpoints)?.id ?? null;
      void this.refreshEstimate();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  selectCheckpoint(id: Id): void {
    this.checkpointId = id;
    void this.refreshEstimate();
  }

  /** The size of the trace the current choice would make, said before it starts. */
  async refreshEstimate(): Promise<void> {
    const seq = ++this.#estimateSeq;
    if (this.checkpointId === null || (this.sourceKind === 'text' && this.pasted === '') || (this.sourceKind === 'corpus' && this.corpusId === null)) {
      this.estimate = null;
      this.estimateError = null;
      return;
    }
    try {
      const estimate = await api.estimateInspect({ checkpointId: this.checkpointId, source: this.source() });
      if (seq !== this.#estimateSeq) return;
      this.estimate = estimate;
      this.estimateError = null;
    } catch (error) {
      if (seq !== this.#estimateSeq) return;
      this.estimate = null;
      // The host's words; labelled when shown, so a later change of language relabels it.
      this.estimateError = error instanceof Error ? error.message : String(error);
    }
  }

  async start(): Promise<void> {
    if (this.checkpointId === null || this.running) return;
    const seq = ++this.#seq;
    this.error = null;
    try {
      const started = await api.startInspect({ checkpointId: this.checkpointId, source: this.source() });
      if (seq !== this.#seq) return;
      const job = await follow(started, (j) => (this.job = j), () => seq === this.#seq);
      if (seq !== this.#seq) return;
      if (job.state === 'failed') this.error = messageOf(job.message);
      if (job.state === 'done' && job.resultId) await this.#open(job.resultId, seq);
    } catch (error) {
      if (seq === this.#seq) this.error = messageOf(error);
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    if (!job || job.state !== 'running') return;
    try {
      this.job = await api.cancelInspect(job.jobId);
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async #open(traceId: string, seq: number): Promise<void> {
    const [summary, loss, classes, saturation] = await Promise.all([
      api.inspectSummary(traceId), api.inspectLoss({ traceId }), api.inspectClasses(traceId), api.inspectSaturation(traceId),
    ]);
    if (seq !== this.#seq) return;
    this.summary = summary;
    this.chars = Array.from(summary.text);
    this.lossBits = loss.bits;
    this.classes = classes;
    this.saturation = saturation;
    this.found = null;
    this.strips = [];
    this.selection = null;
    this.selectionResult = null;
    this.comparison = null;
    this.otherSaturation = null;
    this.ngram = null;
    this.ngramBits = null;
    this.focus = null;
    this.detail = null;
    if (this.colourBy !== 'unit' && this.colourBy !== 'loss') this.colourBy = 'unit';
    const unit = this.unit;
    const fits = unit.layer < summary.layers && summary.kinds.includes(unit.kind) && unit.unit < summary.hidden;
    await this.setUnit(fits ? unit : { layer: 0, kind: summary.kinds.includes('h') ? 'h' : summary.kinds[0], unit: 0 });
    void this.startNgram();
  }

  /** Colours the text by this unit (its values over the whole text: 20,000 numbers). */
  async setUnit(unit: UnitRef): Promise<void> {
    const traceId = this.traceId;
    this.unit = unit;
    if (!traceId) return;
    const seq = ++this.#unitSeq;
    try {
      const values = await api.inspectUnit({ traceId, unit });
      if (seq === this.#unitSeq) this.unitValues = values;
    } catch (error) {
      if (seq === this.#unitSeq) this.error = messageOf(error);
    }
  }

  /** Opens a unit found elsewhere (a strip, the saturation plot) in the text view. */
  async openUnit(unit: UnitRef): Promise<void> {
    this.colourBy = 'unit';
    await this.setUnit({ layer: unit.layer, kind: unit.kind, unit: unit.unit });
  }

  async setFocus(position: number): Promise<void> {
    const traceId = this.traceId;
    if (!traceId || position < 0 || position >= this.chars.length) return;
    this.focus = position;
    const seq = ++this.#detailSeq;
    try {
      const detail = await api.inspectPosition({ traceId, position });
      if (seq === this.#detailSeq) this.detail = detail;
    } catch (error) {
      if (seq === this.#detailSeq) this.error = messageOf(error);
    }
  }

  async findUnits(): Promise<void> {
    const traceId = this.traceId;
    if (!traceId || this.finding) return;
    this.finding = true;
    this.findError = null;
    try {
      const found = await api.inspectFindUnits({ traceId, pattern: this.pattern, measure: this.measure, top: 10 });
      const marks = markPositions(this.summary!.text, this.pattern);
      const first = Math.max(0, marks.indexOf(1));
      const start = Math.max(0, Math.min(first - 20, this.chars.length - STRIP_CHARS));
      const end = Math.min(this.chars.length, start + STRIP_CHARS);
      const strips = await Promise.all(found.units.map(async (u) => ({
        unit: u, values: await api.inspectUnit({ traceId, unit: { layer: u.layer, kind: u.kind, unit: u.unit }, start, end }),
      })));
      this.found = found;
      this.stripWindow = { start, end, marks };
      this.strips = strips;
    } catch (error) {
      this.found = null;
      this.strips = [];
      this.findError = messageOf(error);
    } finally {
      this.finding = false;
    }
  }

  async searchSelection(): Promise<void> {
    const traceId = this.traceId;
    const span = this.selection;
    if (!traceId || !span) return;
    this.selectionError = null;
    try {
      const kind = this.summary?.kinds.includes(this.unit.kind) ? this.unit.kind : 'h';
      this.selectionResult = await api.inspectSelection({ traceId, start: span.start, end: span.end, threshold: Number(this.threshold), kind, limit: 50 });
    } catch (error) {
      this.selectionResult = null;
      this.selectionError = messageOf(error);
    }
  }

  async selectOtherRun(runId: Id | null): Promise<void> {
    this.otherRunId = runId;
    this.otherCheckpoints = [];
    this.otherCheckpointId = null;
    if (runId === null) return;
    try {
      const checkpoints = await api.listCheckpoints(runId);
      if (this.otherRunId !== runId) return;
      this.otherCheckpoints = checkpoints;
      // Against itself nothing changes: the first (earliest) checkpoint is the natural other one.
      this.otherCheckpointId = (runId === this.runId ? checkpoints.find((c) => c.id !== this.checkpointId) : finalCheckpoint(checkpoints))?.id ?? null;
    } catch (error) {
      this.otherError = messageOf(error);
    }
  }

  /** Traces the second checkpoint on exactly the same text, then compares losses and saturation. */
  async startCompare(): Promise<void> {
    const summary = this.summary;
    if (!summary || this.otherCheckpointId === null) return;
    const seq = ++this.#otherSeq;
    this.otherError = null;
    try {
      const started = await api.startInspect({ checkpointId: this.otherCheckpointId, source: { kind: 'text', text: summary.text } });
      const job = await follow(started, (j) => (this.otherJob = j), () => seq === this.#otherSeq);
      if (seq !== this.#otherSeq) return;
      if (job.state === 'failed') this.otherError = messageOf(job.message);
      if (job.state !== 'done' || !job.resultId) return;
      const [comparison, saturation] = await Promise.all([
        api.inspectCompareLoss({ traceId: summary.traceId, otherTraceId: job.resultId }), api.inspectSaturation(job.resultId),
      ]);
      if (seq !== this.#otherSeq || this.summary !== summary) return;
      this.comparison = comparison;
      this.otherSaturation = saturation;
      this.colourBy = 'compare';
    } catch (error) {
      if (seq === this.#otherSeq) this.otherError = messageOf(error);
    }
  }

  async cancelCompare(): Promise<void> {
    const job = this.otherJob;
    if (job?.state === 'running') this.otherJob = await api.cancelInspect(job.jobId).catch(() => job);
  }

  /** n-gram baselines fitted on the run's training split, scored on the traced text. */
  async startNgram(): Promise<void> {
    const summary = this.summary;
    if (!summary) return;
    this.ngramError = null;
    try {
      const started = await api.startNgram({ runId: summary.runId, source: { kind: 'text', text: summary.text } });
      const job = await follow(started, (j) => (this.ngramJob = j), () => this.summary === summary);
      if (this.summary !== summary) return;
      if (job.state === 'failed') this.ngramError = messageOf(job.message);
      if (job.state !== 'done' || !job.resultId) return;
      const ngram = await api.inspectNgram(job.resultId);
      const loss = await api.inspectNgramLoss({ ngramId: job.resultId, n: ngram.best.n });
      if (this.summary !== summary) return;
      this.ngram = ngram;
      this.ngramBits = loss.bits;
    } catch (error) {
      if (this.summary === summary) this.ngramError = messageOf(error);
    }
  }

  /** Network bits minus the best n-gram's bits per position: negative where the network does better. */
  networkMinusNgram = $derived.by((): (number | null)[] | null => {
    const net = this.lossBits;
    const gram = this.ngramBits;
    if (!net || !gram) return null;
    return net.map((x, i) => (x === null || gram[i] === null || gram[i] === undefined ? null : x - gram[i]!));
  });

  async downloadCsv(what: 'ranking' | 'positions'): Promise<void> {
    const traceId = this.traceId;
    if (!traceId) return;
    try {
      const units = [this.unit, ...this.strips.map((s) => s.unit)].map(({ layer, kind, unit }) => ({ layer, kind, unit }));
      const { fileName, csv } = what === 'ranking'
        ? await api.inspectCsv({ traceId, what, pattern: this.pattern, measure: this.measure })
        : await api.inspectCsv({ traceId, what, units: units.filter((u, i) => units.findIndex((v) => unitLabel(v) === unitLabel(u)) === i) });
      downloadText(fileName, csv);
    } catch (error) {
      this.error = messageOf(error);
    }
  }
}

/** Kept for the session: switching views keeps the trace on screen. */
export const inspect = new Inspect();
