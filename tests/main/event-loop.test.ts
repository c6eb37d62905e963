// Issue 8: heavy work never holds up the event loop of the process that owns the connections. On the
// real service, a real database (20 runs × 20,000 metric rows) and real engine processes: a 20-run
// compare, a 100,000-character generation and two training runs at once, with the long calls in query
// worker threads as `serve` and the app's backend run them. The target is 50 ms (bench/event-loop.ts
// measures it); the bound here is generous for a loaded CI machine, yet far below what the same load
// costs in the event loop's own thread (the compare alone holds it for about half a second).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureStalls, prepareLoad, type Prepared } from '../../bench/event-loop-load.ts';

const BOUND_MS = 250;

let prepared: Prepared;

beforeAll(async () => {
  prepared = await prepareLoad();
}, 120_000);

afterAll(() => prepared?.remove());

describe('the event loop of the process that owns the connections', () => {
  it(`is never held up more than ${BOUND_MS} ms while a 20-run compare, a 100,000-character generation and two training runs go on`, async () => {
    const report = await measureStalls(prepared, { offload: true });
    console.log(`event loop under load: max stall ${report.maxStallMs.toFixed(1)} ms (of which running its own work: ` +
      `${report.maxBusyStallMs?.toFixed(1) ?? 'not measurable here'} ms), p99 ${report.p99StallMs.toFixed(1)} ms ` +
      `(compare ${report.compareMs.toFixed(0)} ms, generate ${report.generateMs.toFixed(0)} ms, ${report.trainingEvents} training events)`);
    // The load really happened.
    expect(report.comparedRuns).toBe(20);
    expect(report.generatedChars).toBe(100_000);
    expect(report.trainingEvents).toBeGreaterThan(0);
    // Where the OS tells (Linux), only the thread's own work counts: on a machine shared with other jobs a
    // timer can also come late because no CPU was free, which no code in this process can change.
    expect(report.maxBusyStallMs ?? report.maxStallMs).toBeLessThan(BOUND_MS);
  }, 180_000);
});
