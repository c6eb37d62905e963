/**
 * The Inspect half of the service: long traces and n-gram baselines computed in inspect processes
 * (main/inspect/jobs.ts, never in this process), kept in a byte-bounded cache by (checkpoint, text
 * hash), and the questions asked of them — one unit's values over a range, the loss and top-5 at a
 * position, totals by character class, two checkpoints' losses compared, units ranked by a pattern,
 * LSTMVis-style selection search, gate saturation, CSV. The math is engine/inspect's; here are the
 * sources of text, the ids, and the sentences for what cannot be done.
 */
import { createHash } from 'node:crypto';
import { GATE_NAMES } from '../../engine/infer/trace.ts';
import { classTotals } from '../../engine/inspect/char-class.ts';
import { markPositions } from '../../engine/inspect/marks.ts';
import type { InspectEngineMessage, NgramOutcome } from '../../engine/inspect/protocol.ts';
import { rankUnits, unitName } from '../../engine/inspect/rank.ts';
import { saturation } from '../../engine/inspect/saturation.ts';
import { selectionSearch } from '../../engine/inspect/selection.ts';
import { TOP_K, traceBytes, unitValues, type InspectTrace } from '../../engine/inspect/trace.ts';
import { trainLength } from '../../engine/data/windows.ts';
import { InspectJobs, type JobRecord } from '../inspect/jobs.ts';
import { ResultCache } from '../inspect/result-cache.ts';
import type { Storage } from '../storage/index.ts';
import {
  ApiError, INSPECT_DEFAULT_LENGTH, type CharClassTotal, type CsvInput, type FindUnitsInput, type FindUnitsResult, type Id,
  type InspectEstimate, type InspectInput, type InspectJob, type InspectSource, type InspectSummary, type LossComparison,
  type LossRange, type NgramInput, type NgramResult, type PositionDetail, type PositionRange, type SaturationResult,
  type SelectionInput, type SelectionResult, type UnitRef, type UnitValues, type WorkbenchApi,
} from './contract.ts';
import { toCsv } from './service-compare.ts';
import type { Playground } from './service-playground.ts';
import { checkpointById, runById } from './service-refs.ts';

/** What the host keeps of a trace. */
interface TraceEntry {
  traceId: string;
  checkpointId: Id;
  runId: Id;
  trace: InspectTrace;
  text: string;
  chars: string[];
  vocab: string[];
  sourceLabel: string;
  textHash: string;
}

interface NgramEntry {
  ngramId: string;
  runId: Id;
  textHash: string;
  trainChars: number;
  outcome: NgramOutcome;
}

export interface InspectorOptions {
  /** Memory the cached traces may take (default 1 GiB). */
  cacheBytes?: number;
  /** The largest trace started (default 1 GiB): bigger ones are refused with their size. */
  maxTraceBytes?: number;
}

const GiB = 1024 ** 3;
const NGRAM_DEFAULT_ORDER = 7;
/** n-gram models are fitted on at most this much of a training split (counting a gigabyte would take an hour). */
const NGRAM_MAX_TRAIN_CHARS = 20_000_000;

export class Inspector {
  private readonly traces: ResultCache<TraceEntry>;
  private readonly ngrams = new ResultCache<NgramEntry>(256 * 1024 ** 2);
  private readonly maxTraceBytes: number;

  constructor(
    private readonly storage: Storage,
    private readonly playground: Playground,
    readonly jobs: InspectJobs,
    options: InspectorOptions = {},
  ) {
    this.traces = new ResultCache(options.cacheBytes ?? GiB);
    this.maxTraceBytes = options.maxTraceBytes ?? GiB;
  }

  // ------------------------------------------------------------ jobs

  async estimateInspect(input: InspectInput): Promise<InspectEstimate> {
    return (await this.prepare(input)).estimate;
  }

  async startInspect(input: InspectInput): Promise<InspectJob> {
    const { estimate, text, traceId, runId } = await this.prepare(input);
    if (this.traces.get(traceId)) return { ...jobView(this.jobs.finished('trace', traceId)), estimate };
    const already = this.jobs.running((r) => r.kind === 'trace' && pendingKeys.get(r) === traceId);
    if (already) return { ...jobView(already), estimate };
    if (estimate.bytes > this.maxTraceBytes) {
      throw new ApiError(`Tracing ${estimate.positions.toLocaleString('en')} characters of this model needs ${mib(estimate.bytes)}; the workbench traces at most ${mib(this.maxTraceBytes)} at a time. Choose a shorter text.`);
    }
    const bytes = this.storage.checkpoints.bytes(input.checkpointId);
    if (!bytes) throw new ApiError(`No checkpoint with id ${input.checkpointId}.`, 'not-found');
    const vocab = (await this.playground.load(input.checkpointId)).vocab.chars;
    const record = this.jobs.start('trace', { type: 'trace', checkpoint: bytes, text }, (message) => {
      if (message.type !== 'trace-done') throw new Error(`The inspect process answered "${message.type}" to a trace.`);
      this.keepTrace({
        traceId, checkpointId: input.checkpointId, runId, trace: message.trace, text, chars: Array.from(text), vocab,
        sourceLabel: estimate.sourceLabel, textHash: hashOf(text),
      });
      return traceId;
    });
    pendingKeys.set(record, traceId);
    return { ...jobView(record), estimate };
  }

  async startNgram(input: NgramInput): Promise<InspectJob> {
    const run = runById(this.storage, input.runId);
    const maxOrder = input.maxOrder ?? NGRAM_DEFAULT_ORDER;
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 12) throw new ApiError(`The n-gram order must be a whole number from 1 to 12 (got ${maxOrder}).`);
    if (run.corpusId === null) throw new ApiError(`Run "${run.name}" has no corpus, so there is no training text to fit n-gram models on.`);
    const corpus = this.storage.corpora.text(run.corpusId) ?? '';
    const trainEnd = trainLength(codePointLength(corpus), run.hyper.valFraction);
    const train = codePointSlice(corpus, 0, Math.min(trainEnd, NGRAM_MAX_TRAIN_CHARS));
    const { text } = this.sourceText(run.id, input.source);
    const alphabet = [...new Set([...(this.storage.vocabularies.get(run.vocabularyId)?.chars ?? []), ...train])];
    const textHash = hashOf(text);
    const ngramId = `n${run.id}-${maxOrder}-${hashOf(train).slice(0, 12)}-${textHash.slice(0, 16)}`;
    if (this.ngrams.get(ngramId)) return jobView(this.jobs.finished('ngram', ngramId));
    const already = this.jobs.running((r) => r.kind === 'ngram' && pendingKeys.get(r) === ngramId);
    if (already) return jobView(already);
    const record = this.jobs.start('ngram', { type: 'ngram', train, text, alphabet, maxOrder }, (message: InspectEngineMessage) => {
      if (message.type !== 'ngram-done') throw new Error(`The inspect process answered "${message.type}" to an n-gram job.`);
      const entry: NgramEntry = { ngramId, runId: run.id, textHash, trainChars: codePointLength(train), outcome: message.result };
      this.ngrams.set(ngramId, entry, message.result.orders.reduce((sum, o) => sum + o.bits.byteLength, 0));
      return ngramId;
    });
    pendingKeys.set(record, ngramId);
    return jobView(record);
  }

  async inspectStatus(jobId: Id): Promise<InspectJob> {
    return jobView(this.job(jobId));
  }

  async cancelInspect(jobId: Id): Promise<InspectJob> {
    this.job(jobId);
    return jobView((await this.jobs.cancel(jobId))!);
  }

  /** The finished trace as it is kept (for the CLI and tests, which read values directly). */
  traceEntry(traceId: string): TraceEntry {
    const entry = this.traces.get(traceId);
    if (!entry) throw new ApiError(`No trace "${traceId}" is kept (it was never made, or was let go to save memory); start it again.`, 'not-found');
    return entry;
  }

  /** Drops what was computed from a deleted checkpoint. */
  forgetCheckpoint(checkpointId: Id): void {
    this.traces.deleteWhere((_key, entry) => entry.checkpointId === checkpointId);
  }

  // ------------------------------------------------------------ questions

  async inspectSummary(traceId: string): Promise<InspectSummary> {
    const e = this.traceEntry(traceId);
    const t = e.trace;
    return {
      traceId, checkpointId: e.checkpointId, runId: e.runId, cell: t.cell, layers: t.layers, hidden: t.hidden, kinds: [...t.kinds],
      positions: t.length, text: e.text, bitsPerChar: meanOf(t.lossBits, 1, t.length), sourceLabel: e.sourceLabel, textHash: e.textHash,
    };
  }

  async inspectUnit(input: { traceId: string; unit: UnitRef } & PositionRange): Promise<UnitValues> {
    const e = this.traceEntry(input.traceId);
    const values = unitValues(e.trace, input.unit.layer, input.unit.kind, input.unit.unit);
    const { start, end } = rangeOf(input, e.trace.length);
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { traceId: input.traceId, name: unitName(input.unit), start, end, values: Array.from(values.subarray(start, end)), min, max };
  }

  async inspectPosition(input: { traceId: string; position: number }): Promise<PositionDetail> {
    const e = this.traceEntry(input.traceId);
    const t = input.position;
    if (!Number.isInteger(t) || t < 0 || t >= e.trace.length) {
      throw new ApiError(`Position ${t} is outside the text (0 to ${e.trace.length - 1}).`);
    }
    const top = [];
    for (let r = 0; r < TOP_K; r++) {
      const id = e.trace.topIds[t * TOP_K + r];
      if (id >= 0) top.push({ char: e.vocab[id], p: e.trace.topP[t * TOP_K + r] });
    }
    return { position: t, char: e.chars[t], lossBits: finiteOrNull(e.trace.lossBits[t]), top };
  }

  async inspectLoss(input: { traceId: string } & PositionRange): Promise<LossRange> {
    const e = this.traceEntry(input.traceId);
    const { start, end } = rangeOf(input, e.trace.length);
    return { start, end, bits: Array.from(e.trace.lossBits.subarray(start, end), finiteOrNull) };
  }

  async inspectClasses(traceId: string): Promise<CharClassTotal[]> {
    const e = this.traceEntry(traceId);
    return classTotals(e.chars, e.trace.lossBits).map((c) => ({ ...c, bitsPerChar: finiteOrNull(c.bitsPerChar) }));
  }

  async inspectCompareLoss(input: { traceId: string; otherTraceId: string } & PositionRange): Promise<LossComparison> {
    const a = this.traceEntry(input.traceId);
    const b = this.traceEntry(input.otherTraceId);
    if (a.textHash !== b.textHash) throw new ApiError('The two traces read different texts; compare traces of the same text.');
    const { start, end } = rangeOf(input, a.trace.length);
    const bits = Array.from(a.trace.lossBits.subarray(start, end), finiteOrNull);
    const delta = bits.map((x, i) => {
      const y = b.trace.lossBits[start + i];
      return x === null || !Number.isFinite(y) ? null : y - x;
    });
    return { start, end, bits, delta, bitsPerChar: [meanOf(a.trace.lossBits, 1, a.trace.length), meanOf(b.trace.lossBits, 1, b.trace.length)] };
  }

  async inspectFindUnits(input: FindUnitsInput): Promise<FindUnitsResult> {
    const e = this.traceEntry(input.traceId);
    const marked = marksFor(e, input.pattern);
    const measure = input.measure ?? 'auc';
    const units = await rankUnits(e.trace, marked, {
      measure, top: input.top ?? 10, kinds: input.kinds, layers: input.layers, yieldToEventLoop: breathe,
    });
    let count = 0;
    for (const m of marked) count += m;
    return { traceId: input.traceId, pattern: input.pattern, measure, marked: count, positions: e.trace.length, units };
  }

  async inspectSelection(input: SelectionInput): Promise<SelectionResult> {
    const { traceId, ...query } = input;
    return selectionSearch(this.traceEntry(traceId).trace, query);
  }

  async inspectSaturation(traceId: string): Promise<SaturationResult> {
    const e = this.traceEntry(traceId);
    return { traceId, checkpointId: e.checkpointId, cell: e.trace.cell, gates: saturation(e.trace) };
  }

  async inspectNgram(ngramId: string): Promise<NgramResult> {
    const e = this.ngramEntry(ngramId);
    const orders = e.outcome.orders.map((o) => ({ n: o.n, bitsPerChar: o.bitsPerChar }));
    const best = orders.reduce((a, b) => (b.bitsPerChar < a.bitsPerChar ? b : a));
    return { ngramId, runId: e.runId, textHash: e.textHash, positions: e.outcome.orders[0].bits.length, trainChars: e.trainChars, orders, best };
  }

  async inspectNgramLoss(input: { ngramId: string; n?: number } & PositionRange): Promise<LossRange & { n: number }> {
    const e = this.ngramEntry(input.ngramId);
    const n = input.n ?? (await this.inspectNgram(input.ngramId)).best.n;
    const order = e.outcome.orders.find((o) => o.n === n);
    if (!order) throw new ApiError(`This n-gram job fitted orders 1 to ${e.outcome.orders.length}; order ${n} is not among them.`);
    const { start, end } = rangeOf(input, order.bits.length);
    return { n, start, end, bits: Array.from(order.bits.subarray(start, end), finiteOrNull) };
  }

  async inspectCsv(input: CsvInput): Promise<{ fileName: string; csv: string }> {
    const e = this.traceEntry(input.traceId);
    const base = `checkpoint-${e.checkpointId}-${e.textHash.slice(0, 8)}`;
    if (input.what === 'ranking') {
      if (input.pattern === undefined) throw new ApiError('A ranking needs the pattern that marks the positions.');
      const found = await this.inspectFindUnits({ traceId: input.traceId, pattern: input.pattern, measure: input.measure, top: input.top ?? e.trace.layers * e.trace.kinds.length * e.trace.hidden });
      const rows: (string | number | null)[][] = [['rank', 'unit', 'layer', 'kind', 'index', 'auc', 'correlation', 'score', 'direction']];
      found.units.forEach((u, i) => rows.push([i + 1, u.name, u.layer, u.kind, u.unit, u.auc, u.correlation, u.score, u.direction]));
      return { fileName: `${base}-units.csv`, csv: toCsv(rows) };
    }
    const { start, end } = rangeOf(input, e.trace.length);
    const units = (input.units ?? []).map((u) => ({ name: unitName(u), values: unitValues(e.trace, u.layer, u.kind, u.unit) }));
    const rows: (string | number | null)[][] = [['position', 'char', 'loss_bits', 'top1', 'top1_p', ...units.map((u) => u.name)]];
    for (let t = start; t < end; t++) {
      const top = e.trace.topIds[t * TOP_K];
      rows.push([t, visible(e.chars[t]), finiteOrNull(e.trace.lossBits[t]), top >= 0 ? visible(e.vocab[top]) : null, e.trace.topP[t * TOP_K], ...units.map((u) => u.values[t])]);
    }
    return { fileName: `${base}-positions.csv`, csv: toCsv(rows) };
  }

  // ------------------------------------------------------------ internals

  private job(jobId: Id): JobRecord {
    const record = this.jobs.get(jobId);
    if (!record) throw new ApiError(`No inspect job with id ${jobId}.`, 'not-found');
    return record;
  }

  private ngramEntry(ngramId: string): NgramEntry {
    const entry = this.ngrams.get(ngramId);
    if (!entry) throw new ApiError(`No n-gram result "${ngramId}" is kept (it was never made, or was let go to save memory); start it again.`, 'not-found');
    return entry;
  }

  private keepTrace(entry: TraceEntry): void {
    this.traces.set(entry.traceId, entry, traceBytes(entry.trace, entry.trace.length));
  }

  private async prepare(input: InspectInput): Promise<{ estimate: InspectEstimate; text: string; traceId: string; runId: Id }> {
    const summary = checkpointById(this.storage, input.checkpointId);
    const loaded = await this.playground.load(input.checkpointId);
    const { text, label } = this.sourceText(summary.runId, input.source);
    const unknown = loaded.vocab.unknownChars(text);
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 12).map((c) => JSON.stringify(c)).join(', ');
      throw new ApiError(`${capitalize(label)} has ${unknown.length === 1 ? 'a character' : `${unknown.length} characters`} that checkpoint #${input.checkpointId} does not know: ${shown}${unknown.length > 12 ? ', …' : ''}.`);
    }
    const { cell, layers, hidden } = loaded.model.config;
    const positions = Array.from(text).length;
    const estimate: InspectEstimate = {
      checkpointId: input.checkpointId, cell, layers, hidden, kinds: [...GATE_NAMES[cell]], positions,
      bytes: traceBytes({ cell, layers, hidden }, positions), sourceLabel: label,
    };
    if (loaded.model.config.objective === 'next') {
      const W = loaded.model.config.window;
      estimate.note = `This model was trained on ${W}-character windows from a zero state; the trace carries its state through the whole text, so beyond ${W} characters it reads more than it was trained on.`;
    }
    return { estimate, text, traceId: `t${input.checkpointId}-${hashOf(text).slice(0, 16)}`, runId: summary.runId };
  }

  /** The text a source names, and a label for messages and the view. */
  private sourceText(runId: Id, source: InspectSource = { kind: 'validation' }): { text: string; label: string } {
    if (source.kind === 'text') {
      if (source.text.length === 0) throw new ApiError('The text to inspect is empty: give at least one character.');
      return { text: source.text, label: 'the given text' };
    }
    const run = runById(this.storage, runId);
    let text: string;
    let from = 0; // where the part begins in `text`, in code points
    let what: string;
    if (source.kind === 'corpus') {
      const corpus = this.storage.corpora.get(source.corpusId);
      if (!corpus) throw new ApiError(`No corpus with id ${source.corpusId}.`, 'not-found');
      text = this.storage.corpora.text(corpus.id) ?? '';
      what = `corpus "${corpus.name}"`;
    } else {
      if (run.corpusId === null) throw new ApiError(`Run "${run.name}" has no corpus, so it has no validation split; choose a corpus or give a text.`);
      if (!(run.hyper.valFraction > 0)) throw new ApiError(`Run "${run.name}" holds out no validation text; choose a corpus or give a text.`);
      text = this.storage.corpora.text(run.corpusId) ?? '';
      from = trainLength(codePointLength(text), run.hyper.valFraction);
      what = `the validation split of "${run.corpusName}"`;
    }
    const total = codePointLength(text) - from;
    const start = source.start ?? 0;
    const length = source.length ?? INSPECT_DEFAULT_LENGTH;
    if (start >= total) throw new ApiError(`${capitalize(what)} has ${total.toLocaleString('en')} characters; it has none from ${start.toLocaleString('en')} on.`);
    const end = Math.min(total, start + length);
    return { text: codePointSlice(text, from + start, from + end), label: `${what} (characters ${start.toLocaleString('en')} to ${end.toLocaleString('en')} of ${total.toLocaleString('en')})` };
  }
}

/** The WorkbenchApi methods the Inspector answers, for the service to take as they are. */
export type InspectMethods = Pick<WorkbenchApi,
  | 'estimateInspect' | 'startInspect' | 'startNgram' | 'inspectStatus' | 'cancelInspect' | 'inspectSummary' | 'inspectUnit'
  | 'inspectPosition' | 'inspectLoss' | 'inspectClasses' | 'inspectCompareLoss' | 'inspectFindUnits' | 'inspectSelection'
  | 'inspectSaturation' | 'inspectNgram' | 'inspectNgramLoss' | 'inspectCsv'>;

export function inspectMethods(inspector: Inspector): InspectMethods {
  const i = inspector;
  return {
    estimateInspect: (input) => i.estimateInspect(input),
    startInspect: (input) => i.startInspect(input),
    startNgram: (input) => i.startNgram(input),
    inspectStatus: (jobId) => i.inspectStatus(jobId),
    cancelInspect: (jobId) => i.cancelInspect(jobId),
    inspectSummary: (traceId) => i.inspectSummary(traceId),
    inspectUnit: (input) => i.inspectUnit(input),
    inspectPosition: (input) => i.inspectPosition(input),
    inspectLoss: (input) => i.inspectLoss(input),
    inspectClasses: (traceId) => i.inspectClasses(traceId),
    inspectCompareLoss: (input) => i.inspectCompareLoss(input),
    inspectFindUnits: (input) => i.inspectFindUnits(input),
    inspectSelection: (input) => i.inspectSelection(input),
    inspectSaturation: (traceId) => i.inspectSaturation(traceId),
    inspectNgram: (ngramId) => i.inspectNgram(ngramId),
    inspectNgramLoss: (input) => i.inspectNgramLoss(input),
    inspectCsv: (input) => i.inspectCsv(input),
  };
}

/** Which result a running job will produce, to share it among callers asking for the same. */
const pendingKeys = new WeakMap<JobRecord, string>();

function jobView(r: JobRecord): InspectJob {
  return { jobId: r.id, kind: r.kind, state: r.state, phase: r.phase, done: r.done, total: r.total, resultId: r.resultId, message: r.message };
}

function marksFor(e: TraceEntry, pattern: string): Uint8Array {
  try {
    return markPositions(e.text, pattern);
  } catch (error) {
    throw new ApiError(error instanceof Error ? error.message : String(error));
  }
}

function rangeOf(range: PositionRange, length: number): { start: number; end: number } {
  const start = range.start ?? 0;
  const end = range.end ?? length;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > length || start > end) {
    throw new ApiError(`The range ${start} to ${end} is outside the text's positions (0 to ${length}).`);
  }
  return { start, end };
}

function meanOf(values: Float32Array, start: number, end: number): number {
  let sum = 0;
  for (let t = start; t < end; t++) sum += values[t];
  return end > start ? sum / (end - start) : 0;
}

/** Code points in a text, without making an array of them (a corpus may be a gigabyte). */
function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
  }
  return n;
}

/** Code points [start, end) of a text. */
function codePointSlice(text: string, start: number, end: number): string {
  let i = 0;
  let n = 0;
  let from = -1;
  for (; i < text.length && n < end; n++) {
    if (n === start) from = i;
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return from < 0 ? '' : text.slice(from, i);
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const mib = (bytes: number) => `${Math.ceil(bytes / 1024 ** 2).toLocaleString('en')} MiB`;
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A character as a CSV cell shows it: line breaks and tabs spelled out. */
function visible(ch: string): string {
  return ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : ch === '\\' ? '\\\\' : ch;
}
