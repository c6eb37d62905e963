/**
 * Inspect through the service, with real inspect processes: a trace of the run's validation split
 * (the planted quote model), cached per checkpoint and text; the questions the view asks; n-gram
 * baselines; readable refusals; and cancel, which ends the engine work within a second.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../engine/core/rng.ts';
import { encodeCheckpoint } from '../../engine/format/checkpoint.ts';
import type { TraceJob } from '../../engine/inspect/protocol.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import type { InspectJob } from '../../main/api/contract.ts';
import { validateCall } from '../../main/api/schemas.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { CANCEL_GRACE_MS, InspectJobs, type JobRecord } from '../../main/inspect/jobs.ts';
import { PLANTED, quotedSpans } from '../engine/inspect-fixtures.ts';
import { hasEnded } from './cli-helpers.ts';
import { QUOTE_CORPUS, openQuoteStorage } from './inspect-helpers.ts';

let api: WorkbenchService;
let dir: string;
let checkpointId: number;
let runId: number;

beforeAll(() => {
  const opened = openQuoteStorage('rw-inspect-');
  dir = opened.dir;
  checkpointId = opened.checkpoint.id;
  runId = opened.run.id;
  api = createWorkbenchService({ storage: opened.storage, adoptQueued: false });
});

afterAll(async () => {
  await api.close();
  api.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function untilSettled(job: InspectJob): Promise<InspectJob> {
  const deadline = Date.now() + 60_000;
  while (job.state === 'running') {
    if (Date.now() > deadline) throw new Error(`Job ${job.jobId} still running after a minute (${job.phase} ${job.done}/${job.total}).`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    job = await api.inspectStatus(job.jobId);
  }
  return job;
}

describe('a trace of the validation split', () => {
  const validation = Array.from(QUOTE_CORPUS).slice(Array.from(QUOTE_CORPUS).length / 2).join('');
  let traceId: string;

  it('states its size first, runs in an inspect process, and is answered from the cache the second time', async () => {
    const estimate = await api.estimateInspect({ checkpointId });
    const positions = Array.from(validation).length;
    expect(estimate).toMatchObject({ positions, cell: 'lstm', layers: 1, hidden: 4, kinds: ['i', 'f', 'g', 'o', 'c', 'h'] });
    expect(estimate.bytes).toBe(positions * (1 * 6 * 4 * 4 + 4 + 4 + 5 * 8));
    expect(estimate.sourceLabel).toMatch(/validation split of "quotes"/);
    const job = await untilSettled(await api.startInspect({ checkpointId }));
    expect(job).toMatchObject({ state: 'done', kind: 'trace', message: null });
    traceId = job.resultId!;
    const again = await api.startInspect({ checkpointId, source: { kind: 'validation' } });
    expect(again).toMatchObject({ state: 'done', phase: 'cached', resultId: traceId });
    const summary = await api.inspectSummary(traceId);
    expect(summary.text).toBe(validation);
    expect(summary.positions).toBe(positions);
  });

  it('answers the view\'s questions: units by pattern, selection, a unit over a range, a position, losses, classes, saturation, CSV', async () => {
    const found = await api.inspectFindUnits({ traceId, pattern: '"[^"]*"', top: 5 });
    expect(found.units[0]).toMatchObject({ name: PLANTED.name, auc: 1 });
    expect(found.units).toHaveLength(5);
    const spans = quotedSpans(validation);
    const selection = await api.inspectSelection({ traceId, start: spans[0].start, end: spans[0].end, threshold: 0.5 });
    expect(selection.units.map((u) => u.name)).toEqual([PLANTED.name]);
    expect(selection.matches.map(({ start, end }) => ({ start, end })).sort((a, b) => a.start - b.start)).toEqual(spans);

    const unit = await api.inspectUnit({ traceId, unit: PLANTED, start: spans[1].start - 1, end: spans[1].end + 1 });
    expect(unit.values.map((v) => v > 0.5)).toEqual([false, ...Array(spans[1].end - spans[1].start).fill(true), false]);
    expect(unit.max).toBeGreaterThan(0.7);

    const at = await api.inspectPosition({ traceId, position: 3 });
    expect(at.char).toBe(Array.from(validation)[3]);
    expect(at.top).toHaveLength(5);
    expect(at.top[0].p).toBeGreaterThanOrEqual(at.top[4].p);
    expect((await api.inspectPosition({ traceId, position: 0 })).lossBits).toBeNull();
    const loss = await api.inspectLoss({ traceId, start: 0, end: 10 });
    expect(loss.bits[0]).toBeNull();
    expect(loss.bits[3]).toBeCloseTo(at.lossBits!, 6);
    const same = await api.inspectCompareLoss({ traceId, otherTraceId: traceId, start: 1, end: 50 });
    expect(same.delta.every((d) => d === 0)).toBe(true);

    const classes = await api.inspectClasses(traceId);
    const letters = classes.find((c) => c.class === 'letter')!;
    expect(letters.count).toBeGreaterThan(100);
    const total = classes.filter((c) => ['letter', 'digit', 'space', 'punctuation', 'cjk', 'other'].includes(c.class)).reduce((a, c) => a + c.count, 0);
    expect(total).toBe(Array.from(validation).length - 1);

    const sat = await api.inspectSaturation(traceId);
    expect(sat.gates.map((g) => g.gate)).toEqual(['i', 'f', 'o']);
    expect(sat.gates[2].right[0]).toBe(1); // unit 0's output gate is held at σ(10)

    const ranking = await api.inspectCsv({ traceId, what: 'ranking', pattern: '"[^"]*"' });
    const lines = ranking.csv.trim().split('\n');
    expect(lines[0]).toBe('rank,unit,layer,kind,index,auc,correlation,score,direction');
    expect(lines).toHaveLength(1 + 6 * 4);
    expect(lines[1]).toMatch(/^1,l0\.h\.1,0,h,1,1,/);
    const positions = await api.inspectCsv({ traceId, what: 'positions', units: [PLANTED], end: 3 });
    expect(positions.csv.split('\n')[0]).toBe('position,char,loss_bits,top1,top1_p,l0.h.1');
    expect(positions.fileName).toMatch(/\.csv$/);
  });

  it('refuses what it cannot do with one sentence', async () => {
    await expect(api.inspectFindUnits({ traceId, pattern: '(' })).rejects.toThrow(/^"\(" is not a regular expression: .*\.$/);
    await expect(api.inspectFindUnits({ traceId, pattern: 'QQQ' })).rejects.toThrow('The pattern marks no position of the text, so there is nothing to separate.');
    await expect(api.inspectUnit({ traceId, unit: { layer: 0, kind: 'z', unit: 0 } })).rejects.toThrow('A LSTM has no "z" (it has i, f, g, o, c, h).');
    await expect(api.inspectUnit({ traceId, unit: { layer: 3, kind: 'h', unit: 0 } })).rejects.toThrow('Layer 3 does not exist: the model has 1 (0 to 0).');
    await expect(api.inspectPosition({ traceId, position: 10 ** 6 })).rejects.toThrow(/^Position 1000000 is outside the text \(0 to \d+\)\.$/);
    await expect(api.inspectSummary('t999-nothing')).rejects.toThrow(/No trace "t999-nothing" is kept/);
    await expect(api.startInspect({ checkpointId, source: { kind: 'text', text: 'xz€' } })).rejects.toThrow(/^The given text has 3 characters that checkpoint #\d+ does not know: "x", "z", "€"\.$/);
    await expect(api.startInspect({ checkpointId, source: { kind: 'validation', start: 10 ** 6 } })).rejects.toThrow(/^The validation split of "quotes" has 1,248 characters; it has none from 1,000,000 on\.$/);
    await expect(api.inspectStatus(424242)).rejects.toThrow('No inspect job with id 424242.');
    // malformed calls stop at the transport's check, one line naming the field
    expect(() => validateCall('inspectFindUnits', [{ traceId, pattern: 7 }])).toThrow(/^inspectFindUnits: input\.pattern: .+\.$/);
    expect(() => validateCall('inspectSelection', [{ traceId, start: 0, end: 2, threshold: 0.5, width: 3 }])).toThrow('inspectSelection: input has an unknown field "width".');
    expect(() => validateCall('startInspect', [{ checkpointId, source: { kind: 'val' } }])).toThrow(/^startInspect: input\.source/);
  });
});

describe('n-gram baselines', () => {
  it('fit on the training split and score the validation text, best order named', async () => {
    const job = await untilSettled(await api.startNgram({ runId, maxOrder: 4 }));
    expect(job.state).toBe('done');
    const result = await api.inspectNgram(job.resultId!);
    expect(result.orders.map((o) => o.n)).toEqual([1, 2, 3, 4]);
    expect(result.trainChars).toBe(Array.from(QUOTE_CORPUS).length / 2);
    expect(result.best.bitsPerChar).toBe(Math.min(...result.orders.map((o) => o.bitsPerChar)));
    const bits = await api.inspectNgramLoss({ ngramId: job.resultId!, start: 0, end: 5 });
    expect(bits.n).toBe(result.best.n);
    expect(bits.bits[0]).toBeNull();
  });
});

describe('cancel', () => {
  it('stops the engine work within a second: the inspect process ends by itself, before the kill deadline', async () => {
    const text = QUOTE_CORPUS.repeat(10); // ~12,000 characters through a 1×384 LSTM: several seconds of work
    const vocab = Vocabulary.fromText(text);
    const model = new Model({ cell: 'lstm', layers: 1, vocabSize: vocab.size, embed: 16, hidden: 384, window: 64, objective: 'every', dropout: 0 });
    model.initParams(new Rng(5));
    const checkpoint = encodeCheckpoint({ config: model.config, vocab: vocab.chars, params: model.params, step: 0 });
    const jobs = new InspectJobs();
    const job: TraceJob = { type: 'trace', checkpoint, text, chunk: 64 };
    const record = jobs.start('trace', job, () => 'never');
    const pid = record.pid!;
    await until(() => record.phase === 'trace' && record.done > 0, record);
    const asked = performance.now();
    const ended = await jobs.cancel(record.id);
    const took = performance.now() - asked;
    expect(ended!.state).toBe('cancelled');
    expect(record.done).toBeLessThan(record.total);
    expect(took).toBeLessThan(CANCEL_GRACE_MS);
    expect(hasEnded(pid)).toBe(true);
  }, 60_000);
});

async function until(condition: () => boolean, record: JobRecord): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (record.state !== 'running') throw new Error(`The job ended (${record.state}: ${record.message}) before the condition held.`);
    if (Date.now() > deadline) throw new Error('The condition did not hold within 30 s.');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
