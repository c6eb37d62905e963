// Training seen from outside the window under Electron (main/electron/run-progress.ts), against the
// stand-in 'electron' module and a real backend process: the taskbar progress bar follows a real run
// from 0 to its end and is removed (-1) after it, and an OS notification says the run finished.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../main/electron/backend-host.ts';
import { seedCorpusText } from './run-helpers.ts';

const electron = await vi.hoisted(async () => (await import('./electron-stand-in.ts')).createElectronStandIn());
vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

const BACKEND_ENTRY = path.resolve(import.meta.dirname, '../../main/backend/entry.ts');

let dir: string;
let backend: Backend;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-run-progress-'));
  const { startBackend } = await import('../../main/electron/backend-host.ts');
  backend = await startBackend({ entry: BACKEND_ENTRY, dbPath: path.join(dir, 'workbench.db') });
}, 60_000);

afterAll(async () => {
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for a condition, checking on every turn of the event loop, up to a deadline. */
async function until(condition: () => boolean, what: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('progress outside the window', () => {
  it('the taskbar bar follows a real run and goes away after it; a notification says it finished', async () => {
    const { backendConnection, backendRunsApi, trackRunProgress } = await import('../../main/electron/run-progress.ts');
    const { BrowserWindow } = electron.module as { BrowserWindow: new (options: object) => { setProgressBar(p: number): void; isDestroyed(): boolean } };
    const window = new BrowserWindow({});
    const record = electron.windows[electron.windows.length - 1];
    const stop = trackRunProgress(backendRunsApi(backend), () => window);

    const calls = backendConnection(backend);
    const corpus = (await calls.call('addCorpus', [{ name: 'hello', text: seedCorpusText }])) as { id: number };
    const run = (await calls.call('createRun', [{ corpusId: corpus.id, preset: 'reference', name: 'tiny', hyper: { hidden: 8, embed: 4, steps: 120 } }])) as { id: number };
    await until(() => electron.notifications.length > 0, 'the notification of the finished run');
    await until(() => record.progress.at(-1) === -1, 'the bar to go away');
    stop();

    expect(electron.notifications).toEqual([{ title: 'Run "tiny" finished', body: 'Training is done; its final checkpoint is stored.' }]);
    const shown = record.progress.filter((p) => p !== -1);
    expect(shown.length, 'progress while training').toBeGreaterThan(0);
    // Between 0 and 1, and only growing while the run trains.
    expect(shown[0]).toBeGreaterThanOrEqual(0);
    expect(shown.at(-1)).toBeLessThanOrEqual(1);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    expect(run.id).toBeGreaterThan(0);
  }, 300_000);

  it('says why a run failed; a run stopped by hand, or still going, needs no notification', async () => {
    const { endNotice } = await import('../../main/electron/run-progress.ts');
    expect(endNotice('big', 'failed', 'The loss became NaN at step 12.')).toEqual({ title: 'Run "big" failed', body: 'The loss became NaN at step 12.' });
    expect(endNotice('big', 'stopped', null)).toBeNull();
    expect(endNotice('big', 'running', null)).toBeNull();
  });
});
