/**
 * Storage benchmark (not a test): `node --import tsx bench/storage.ts [--runs 20] [--rows 20000]`.
 *
 * 1. The compare query: the real `compare()` of the API (what the Compare view and `rnnwb compare` call)
 *    over 20 runs of 20,000 metric rows each — hyperparameter and metric rows, best marks, downsampled
 *    loss curves — plus the run list with its last/best metrics alone.
 * 2. The metrics write path: progress events arrive ~1,000 per second and the run manager flushes them
 *    in batches (`Storage.recordProgress`: insert rows, advance the step, heartbeat — one transaction).
 *    Reports the cost per batch for several batch sizes, the max sustainable event rate, and a
 *    real-time replay at 1,000 events/s flushed every 100 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PRESETS } from '../engine/config.ts';
import { compare } from '../main/api/service-compare.ts';
import { Playground } from '../main/api/service-playground.ts';
import { Storage, type Id, type NewMetric } from '../main/storage/index.ts';
import { fillRuns, metric, random } from './metric-rows.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, rows: { type: 'string', default: '20000' } },
});
const RUNS = Number(values.runs);
const ROWS = Number(values.rows);

const dir = mkdtempSync(path.join(tmpdir(), 'rw-bench-storage-'));
const file = path.join(dir, 'bench.db');
const storage = Storage.open(file);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
/** CPU time of this process (user + system), ms: steadier than wall time on a shared machine. */
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(c0);
  return (used.user + used.system) / 1000;
};
const fmt = (x: number, digits = 2) => x.toFixed(digits);

// ---------------------------------------------------------------- fill
const hyper = PRESETS['char-rnn-small'].hyper;
let t0 = process.hrtime.bigint();
const runIds: Id[] = fillRuns(storage, RUNS, ROWS);
const vocabulary = storage.vocabularies.getOrCreate(Array.from('abcdefghijklmnopqrstuvwxyz .,\n'));
const rng = random(2);
const fillMs = ms(t0);
const totalRows = RUNS * ROWS;
console.log(`Database: ${file}`);
console.log(`Load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
console.log(`Filled ${RUNS} runs × ${ROWS} metric rows = ${totalRows} rows in ${fmt(fillMs, 0)} ms ` +
  `(${fmt(totalRows / (fillMs / 1000), 0)} rows/s in batches of 1000); file ${fmt(storage.info.fileBytes() / 1e6, 1)} MB`);

// ---------------------------------------------------------------- compare read
// No prompt, so no checkpoint is loaded: this times the database side of a comparison.
const playground = new Playground(storage);
const compareQuery = (maxPoints: number) => compare(storage, playground, { runIds, maxPoints });
console.log(`\nCompare query (the API's compare() over ${RUNS} runs: table rows, best marks, downsampled curves):`);
for (const maxPoints of [500, 1000, 2000]) {
  await compareQuery(maxPoints); // warm the page cache and statement plans
  const times: number[] = [];
  const cpu: number[] = [];
  let points = 0;
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    const result = await compareQuery(maxPoints);
    times.push(ms(t0));
    cpu.push(cpuMs(c0));
    points = result.curves.reduce((n, c) => n + c.step.length, 0);
  }
  console.log(`  maxPoints ${String(maxPoints).padStart(4)}: median ${fmt(median(times), 1)} ms wall, ` +
    `${fmt(median(cpu), 1)} ms CPU, min ${fmt(Math.min(...times), 1)} ms wall (${points} points from ${totalRows} rows)`);
}
{
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    t0 = process.hrtime.bigint();
    storage.runs.list();
    times.push(ms(t0));
  }
  console.log(`  run list alone (${RUNS} runs with last/best metrics): median ${fmt(median(times), 2)} ms`);
}

// ---------------------------------------------------------------- write path
const liveRun = storage.runs.create({
  name: 'bench-live', corpusId: null, vocabularyId: vocabulary.id, hyper, totalSteps: 1_000_000,
  reproduction: { appVersion: 'bench', kernelPath: null, threads: 1, corpusSha256: null, seed: 99, hyper },
}).id;
storage.runs.claimRun(liveRun);
let step = 0;
const nextBatch = (size: number) => Array.from({ length: size }, () => metric(liveRun, ++step, rng));

console.log('\nWrite path (recordProgress: insert batch + step + heartbeat in one transaction):');
let best = { size: 0, rate: 0 };
for (const size of [1, 10, 50, 100, 250, 1000]) {
  const repeats = Math.max(20, Math.min(500, Math.floor(20_000 / size)));
  const batches = Array.from({ length: repeats }, () => nextBatch(size));
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (const batch of batches) {
    t0 = process.hrtime.bigint();
    storage.recordProgress(liveRun, batch);
    times.push(ms(t0));
  }
  const cpuPerBatch = cpuMs(c0) / repeats;
  const perBatch = median(times);
  const rate = size / (perBatch / 1000);
  if (rate > best.rate) best = { size, rate };
  console.log(`  batch ${String(size).padStart(4)}: ${fmt(perBatch, 3)} ms per batch (median of ${repeats}), ` +
    `${fmt((perBatch * 1000) / size, 1)} µs per event (CPU ${fmt(cpuPerBatch, 3)} ms per batch) → max ${fmt(rate, 0)} events/s`);
}
console.log(`  max sustainable rate: ~${fmt(best.rate, 0)} events/s (batches of ${best.size})`);

// Real time: 1,000 events per second arrive, flushed every 100 ms, for 3 s.
await new Promise<void>((resolve) => {
  const eventsPerSecond = 1000;
  const flushEveryMs = 100;
  const durationMs = 3000;
  const started = performance.now();
  let buffered: NewMetric[] = [];
  let produced = 0;
  const flushTimes: number[] = [];
  const produce = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * eventsPerSecond);
    while (produced < due) {
      buffered.push(metric(liveRun, ++step, rng));
      produced++;
    }
  }, 5);
  const flush = setInterval(() => {
    const batch = buffered;
    buffered = [];
    const t = process.hrtime.bigint();
    storage.recordProgress(liveRun, batch);
    flushTimes.push(ms(t));
    if (performance.now() - started >= durationMs) {
      clearInterval(produce);
      clearInterval(flush);
      const busy = flushTimes.reduce((a, b) => a + b, 0);
      console.log(`\nReal time at ${eventsPerSecond} events/s, flushed every ${flushEveryMs} ms for ${durationMs / 1000} s: ` +
        `${produced} events in ${flushTimes.length} flushes, median flush ${fmt(median(flushTimes), 2)} ms, ` +
        `max ${fmt(Math.max(...flushTimes), 2)} ms, main thread busy ${fmt((busy / durationMs) * 100, 2)}% of the time`);
      resolve();
    }
  }, flushEveryMs);
});

const info = storage.info.info();
console.log(`\nFinal file ${fmt(info.bytes / 1e6, 1)} MB; metrics table ${fmt((info.tables.find((t) => t.name === 'metrics')?.bytes ?? 0) / 1e6, 1)} MB; ` +
  `integrity ${storage.integrityCheck().join(', ')}`);
storage.close();
rmSync(dir, { recursive: true, force: true });
