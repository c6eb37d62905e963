// The Electron shell without the Electron binary: the real main-side code (the backend host and the
// port broker), the real preload and the real backend process (main/backend/entry.ts, a Node child in
// place of a utility process) on a real SQLite file, joined by a stand-in for the 'electron' module
// (tests/main/electron-stand-in.ts). What a page can call, what it cannot, run events, a quit that
// pauses the runs, and the window's settings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, type RunEvent, type WorkbenchApi } from '../../main/api/contract.ts';
import type { Backend } from '../../main/electron/backend-host.ts';
import { CONNECT_CHANNEL, REFUSED_SENDER } from '../../main/electron/channels.ts';
import { APP_ENTRY_URL } from '../../main/electron/security.ts';
import { Storage } from '../../main/storage/index.ts';
import { StallWatch } from '../../bench/event-loop-load.ts';
import { hasEnded } from './cli-helpers.ts';
import { seedCorpusText } from './run-helpers.ts';

const electron = await vi.hoisted(async () => (await import('./electron-stand-in.ts')).createElectronStandIn());
vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

const BACKEND_ENTRY = path.resolve(import.meta.dirname, '../../main/backend/entry.ts');

let dir: string;
let dbPath: string;
let backend: Backend;
let unregister: () => void;
let page: WorkbenchApi;

/** Loads the preload afresh, as a page at `url` does; returns what it exposed. */
async function openPage(url: string): Promise<WorkbenchApi> {
  electron.page.url = url;
  vi.resetModules();
  await import('../../main/electron/preload.ts');
  return electron.exposed.workbench as WorkbenchApi;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-electron-'));
  dbPath = path.join(dir, 'workbench.db');
  const { startBackend } = await import('../../main/electron/backend-host.ts');
  const { registerPortBroker } = await import('../../main/electron/ipc.ts');
  const { isAppUrl } = await import('../../main/electron/security.ts');
  backend = await startBackend({ entry: BACKEND_ENTRY, dbPath });
  unregister = registerPortBroker(backend, (url) => isAppUrl(url));
  page = await openPage(APP_ENTRY_URL);
}, 60_000);

afterAll(async () => {
  unregister?.();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the preload, the port broker and the backend process', () => {
  it('expose exactly the typed API to the page, and nothing else; main listens on one channel only', () => {
    expect(Object.keys(electron.exposed)).toEqual(['workbench']);
    expect(Object.keys(page).sort()).toEqual([...API_METHODS, 'onRunEvent'].sort());
    expect([...electron.mainListeners].filter(([, listeners]) => listeners.length > 0).map(([channel]) => channel)).toEqual([CONNECT_CHANNEL]);
  });

  it('carry a call from the app\'s page to the backend process and back; the service is not in main', async () => {
    const added = await page.addCorpus({ name: 'over the port', text: 'abc abc abc abc\n' });
    expect(added.name).toBe('over the port');
    expect((await page.listCorpora()).map((c) => c.name)).toEqual(['over the port']);
    expect(backend.pid).toBeGreaterThan(0);
    expect(backend.pid).not.toBe(process.pid);
  });

  it('give no port to any other page: its calls fail, and nothing is stored', async () => {
    for (const url of ['https://example.com/', 'file:///tmp/index.html', '']) {
      const intruder = await openPage(url);
      await expect(intruder.addCorpus({ name: 'intruder', text: 'xyz xyz xyz\n' })).rejects.toThrow(REFUSED_SENDER);
    }
    page = await openPage(APP_ENTRY_URL);
    expect((await page.listCorpora()).map((c) => c.name)).toEqual(['over the port']);
  });

  it('refuse malformed arguments with a message naming the problem, and store nothing', async () => {
    const bad = page as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await expect(bad.addCorpus(42)).rejects.toThrow(/addCorpus/);
    await expect(bad.addCorpus({ name: 'no text' })).rejects.toThrow(/text/);
    await expect(bad.getRun('1; DROP TABLE runs')).rejects.toThrow(/id/);
    expect((await page.listCorpora()).map((c) => c.name)).toEqual(['over the port']);
  });

  it('tell the page run events over its port; a 100,000-character generation leaves main\'s event loop free; at quit the backend pauses the run and ends', async () => {
    const events: RunEvent[] = [];
    page.onRunEvent((event) => events.push(event));
    const corpus = await page.addCorpus({ name: 'hello', text: seedCorpusText });
    const finished = (runId: number) => new Promise<void>((resolve) => page.onRunEvent((event) => event.runId === runId && event.type === 'status' && event.status === 'done' && resolve()));
    const writer = await page.createRun({ corpusId: corpus.id, preset: 'reference', name: 'writer', hyper: { hidden: 16, embed: 8, steps: 30 } });
    await finished(writer.id);
    const checkpointed = new Promise<void>((resolve) => page.onRunEvent((event) => event.type === 'checkpoint' && resolve()));
    const run = await page.createRun({ corpusId: corpus.id, preset: 'reference', name: 'long', hyper: { hidden: 16, embed: 8, steps: 1_000_000, checkpointEvery: 50 } });
    await checkpointed;
    expect(events.filter((e) => e.runId === run.id).map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'status', 'progress', 'checkpoint']));

    // While "long" trains. The service ran in main before: this call held the window's event loop for seconds.
    const [checkpoint] = await page.listCheckpoints(writer.id);
    const watch = new StallWatch();
    const generated = await page.generate({ checkpointId: checkpoint.id, prime: 'He', length: 100_000 });
    const stalls = watch.stop();
    expect(Array.from(generated.text)).toHaveLength(100_000);
    expect(stalls.maxBusyStallMs ?? stalls.maxStallMs).toBeLessThan(250);
    const pid = backend.pid!;
    await backend.close();
    expect(hasEnded(pid)).toBe(true);
    const storage = Storage.open({ path: dbPath, access: 'read' });
    try {
      expect(storage.runs.get(run.id)?.status).toBe('paused');
    } finally {
      storage.close();
    }
  }, 120_000);

  it('say in one sentence why the database cannot be opened, and leave no process behind', async () => {
    const notAFolder = path.join(dir, 'a-file');
    writeFileSync(notAFolder, 'not a folder');
    const { startBackend } = await import('../../main/electron/backend-host.ts');
    const started = startBackend({ entry: BACKEND_ENTRY, dbPath: path.join(notAFolder, 'workbench.db') });
    await expect(started).rejects.toThrow(/^Cannot open the workbench database ".*a-file.workbench\.db": /);
    const child = electron.children.at(-1)!;
    await vi.waitFor(() => expect(hasEnded(child.pid!)).toBe(true), { timeout: 10_000 });
  });
});

describe('the preload\'s end of the port', () => {
  it('believes only frames of the right shape: a forged or broken frame is dropped, the real answer still counts', async () => {
    const { createPageConnection } = await import('../../main/electron/page-connection.ts');
    const { MessageChannelMain } = await import('./electron-stand-in.ts');
    const channel = new MessageChannelMain();
    const connection = createPageConnection();
    const events: unknown[] = [];
    connection.onEvent((event) => events.push(event));
    // A call made before the port has come waits for it.
    const answer = connection.call('listRuns', []);
    connection.attach(channel.port2);
    const arrived = new Promise<{ id: number; method: string }>((resolve) => channel.port1.once('message', ({ data }) => resolve(data as never)));
    channel.port1.start();
    const call = await arrived;
    expect(call).toMatchObject({ kind: 'call', method: 'listRuns', args: [] });
    for (const junk of [null, 'text', { kind: 'result', id: String(call.id), value: 'forged' }, { kind: 'error', id: call.id, message: 42, code: 'x' },
      { kind: 'event', event: { type: 'deleted' } }, { kind: 'event', event: null }, { kind: 'surprise', id: call.id }]) {
      channel.port1.postMessage(junk);
    }
    channel.port1.postMessage({ kind: 'event', event: { type: 'deleted', runId: 3 } });
    channel.port1.postMessage({ kind: 'result', id: call.id, value: ['the real answer'] });
    expect(await answer).toEqual(['the real answer']);
    expect(events).toEqual([{ type: 'deleted', runId: 3 }]);
  });
});

describe('the main window', () => {
  it('is isolated, sandboxed and without Node; opens no windows; never navigates away from the app', async () => {
    const { createMainWindow } = await import('../../main/electron/window.ts');
    createMainWindow({ preloadPath: '/app/preload.cjs', entryUrl: APP_ENTRY_URL });
    const win = electron.windows.at(-1)!;
    expect(win.options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false,
    });
    expect(win.loaded).toBe(APP_ENTRY_URL);
    expect(win.openHandler!()).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-redirect']) {
      const listener = win.listeners.get(event)!;
      const away = { preventDefault: vi.fn() };
      listener(away, 'https://example.com/');
      expect(away.preventDefault, `${event} to another site`).toHaveBeenCalled();
      const inside = { preventDefault: vi.fn() };
      listener(inside, `${APP_ENTRY_URL}#/playground`);
      expect(inside.preventDefault, `${event} inside the app`).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    win.listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});
