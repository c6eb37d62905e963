/**
 * Event-loop benchmark (not a test): `npm run bench:event-loop [-- --repeats 3 --runs 20 --rows 20000 --length 100000 --json]`.
 * While a 20-run compare (20,000 metric rows each), a 100,000-character generation and two training
 * runs go on at once, how long is the event loop of the process that owns the connections held up?
 * Issue 8's target: never more than 50 ms. Measured with the long calls in query worker threads (as
 * `serve` and the app's backend run them) and, for contrast, in the same thread.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { measureStalls, prepareLoad, type StallReport } from './event-loop-load.ts';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' }, runs: { type: 'string', default: '20' }, rows: { type: 'string', default: '20000' },
    length: { type: 'string', default: '100000' }, json: { type: 'boolean', default: false },
  },
});
const repeats = Number(values.repeats);
const generateLength = Number(values.length);

const fmt = (x: number) => x.toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`Load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
const prepared = await prepareLoad({ runs: Number(values.runs), rows: Number(values.rows) });
try {
  for (const offload of [true, false]) {
    const reports: StallReport[] = [];
    for (let i = 0; i < repeats; i++) reports.push(await measureStalls(prepared, { offload, generateLength }));
    const where = offload ? 'in query worker threads' : 'in the event loop\'s own thread';
    if (values.json) {
      for (const report of reports) console.log(JSON.stringify({ bench: 'event-loop', ...report }));
      continue;
    }
    console.log(`\nLong calls ${where} (${repeats} runs; compare of ${reports[0].comparedRuns} runs, ` +
      `${reports[0].generatedChars} characters generated, 2 runs training):`);
    console.log(`  max stall: median ${fmt(median(reports.map((r) => r.maxStallMs)))} ms, worst ${fmt(Math.max(...reports.map((r) => r.maxStallMs)))} ms ` +
      `(target ≤ 50 ms)`);
    const busy = reports.map((r) => r.maxBusyStallMs).filter((x): x is number => x !== null);
    if (busy.length > 0) {
      console.log(`  of the longest hold-ups, the thread running its own work: median ${fmt(median(busy))} ms, worst ${fmt(Math.max(...busy))} ms ` +
        '(the rest: waiting for a CPU)');
    }
    console.log(`  p99 stall: median ${fmt(median(reports.map((r) => r.p99StallMs)))} ms; mean ${fmt(median(reports.map((r) => r.meanStallMs)))} ms`);
    console.log(`  compare ${fmt(median(reports.map((r) => r.compareMs)))} ms, generate ${fmt(median(reports.map((r) => r.generateMs)))} ms (medians, wall); ` +
      `training progress events meanwhile: ${reports.map((r) => r.trainingEvents).join(', ')}`);
  }
} finally {
  prepared.remove();
}
