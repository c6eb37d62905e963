// Issue 8: heavy work never holds up the event loop of the process that owns the window or the
// connections. On a real database (20 runs × 20,000 metric rows) with real engine processes: a 20-run
// compare, a 100,000-character generation and two training runs at once —
//  1. the browser host's layout: the service in this process, the long calls in query worker threads
//     (as `serve` runs it; the app's backend process runs the service the same way);
//  2. the app's layout: this process is Electron's main process (a stand-in 'electron' module), the
//     service is in the real backend process, and the page's calls go over its MessagePort.
// The target is 50 ms (bench/event-loop.ts measures it); the bound here is generous for a loaded CI
// machine, yet far below what the same load costs in the event loop's own thread (the compare alone
// holds it for about half a second, the generation for seconds).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureStalls, prepareLoad, runLoad, type Prepared, type StallReport } from '../../bench/event-loop-load.ts';
import type { WorkbenchApi } from '../../main/api/contract.ts';
import { APP_ENTRY_URL } from '../../main/electron/security.ts';

const electron = await vi.hoisted(async () => (await import('./electron-stand-in.ts')).createElectronStandIn());
vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

const BOUND_MS = 250;

let prepared: Prepared;

beforeAll(async () => {
  prepared = await prepareLoad();
}, 120_000);

afterAll(() => prepared?.remove());

function check(report: Omit<StallReport, 'offload'>, where: string): void {
  console.log(`${where}: max stall ${report.maxStallMs.toFixed(1)} ms (of which running its own work: ` +
    `${report.maxBusyStallMs?.toFixed(1) ?? 'not measurable here'} ms), p99 ${report.p99StallMs.toFixed(1)} ms ` +
    `(compare ${report.compareMs.toFixed(0)} ms, generate ${report.generateMs.toFixed(0)} ms, ${report.trainingEvents} training events)`);
  // The load really happened.
  expect(report.comparedRuns).toBe(20);
  expect(report.generatedChars).toBe(100_000);
  expect(report.trainingEvents).toBeGreaterThan(0);
  // Where the OS tells (Linux), only the thread's own work counts: on a machine shared with other jobs a
  // timer can also come late because no CPU was free, which no code in this process can change.
  expect(report.maxBusyStallMs ?? report.maxStallMs).toBeLessThan(BOUND_MS);
}

describe(`the event loop is never held up more than ${BOUND_MS} ms while a 20-run compare, a 100,000-character generation and two training runs go on`, () => {
  it('in the browser host\'s process (the service here, its long calls in query workers)', async () => {
    check(await measureStalls(prepared, { offload: true }), 'browser host');
  }, 180_000);

  it('in the app\'s main process (the service in the backend process, the page on its MessagePort)', async () => {
    const { startBackend } = await import('../../main/electron/backend-host.ts');
    const { registerPortBroker } = await import('../../main/electron/ipc.ts');
    const { isAppUrl } = await import('../../main/electron/security.ts');
    const backend = await startBackend({ entry: path.resolve(import.meta.dirname, '../../main/backend/entry.ts'), dbPath: prepared.dbPath });
    const unregister = registerPortBroker(backend, (url) => isAppUrl(url));
    try {
      electron.page.url = APP_ENTRY_URL;
      await import('../../main/electron/preload.ts');
      check(await runLoad(electron.exposed.workbench as WorkbenchApi, prepared), 'Electron main process');
    } finally {
      unregister();
      await backend.close();
    }
  }, 180_000);
});
