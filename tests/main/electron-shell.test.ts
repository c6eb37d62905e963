// The Electron shell without the Electron binary: the real preload, IPC handlers and window code run
// against a stand-in for the 'electron' module (a third-party API, not our code), wired to the real
// service on a real SQLite file. What a page can call, what it cannot, and the window's settings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, type WorkbenchApi } from '../../main/api/contract.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { ipcChannel, type IpcResult } from '../../main/electron/channels.ts';
import { APP_ENTRY_URL } from '../../main/electron/security.ts';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<IpcResult>;

const electron = vi.hoisted(() => {
  const handlers = new Map<string, Handler>();
  const exposed: Record<string, unknown> = {};
  const windows: { options: Record<string, unknown>; openHandler?: () => unknown; listeners: Map<string, (...a: unknown[]) => void>; loaded?: string }[] = [];
  /** The page's origin as the stand-in IPC reports it to the handlers. */
  const page = { url: '' };
  return {
    handlers, exposed, windows, page,
    module: {
      ipcMain: {
        handle: (channel: string, fn: Handler) => handlers.set(channel, fn),
        removeHandler: (channel: string) => handlers.delete(channel),
      },
      ipcRenderer: {
        invoke: (channel: string, ...args: unknown[]) => handlers.get(channel)!({ senderFrame: { url: page.url } }, ...args),
        on: () => undefined,
        removeListener: () => undefined,
      },
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => { exposed[name] = api; } },
      BrowserWindow: class {
        readonly webContents;
        constructor(options: Record<string, unknown>) {
          const record: (typeof windows)[number] = { options, listeners: new Map() };
          windows.push(record);
          this.webContents = {
            setWindowOpenHandler: (fn: () => unknown) => { record.openHandler = fn; },
            on: (event: string, fn: (...a: unknown[]) => void) => { record.listeners.set(event, fn); },
          };
          (this as unknown as { loadURL: (url: string) => Promise<void> }).loadURL = async (url: string) => { record.loaded = url; };
        }
        once(): void {}
      },
    },
  };
});
vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

let dir: string;
let service: WorkbenchService;
let unregister: () => void;
let page: WorkbenchApi;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-electron-'));
  service = createWorkbenchService({ dbPath: path.join(dir, 'workbench.db') });
  const { registerIpcHandlers } = await import('../../main/electron/ipc.ts');
  const { isAppUrl } = await import('../../main/electron/security.ts');
  unregister = registerIpcHandlers(service, (url) => isAppUrl(url));
  await import('../../main/electron/preload.ts');
  page = electron.exposed.workbench as WorkbenchApi;
});

afterAll(async () => {
  unregister?.();
  await service?.close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('the preload and the IPC handlers', () => {
  it('expose exactly the typed API to the page, and nothing else', () => {
    expect(Object.keys(electron.exposed)).toEqual(['workbench']);
    expect(Object.keys(page).sort()).toEqual([...API_METHODS, 'onRunEvent'].sort());
    expect([...electron.handlers.keys()].sort()).toEqual(API_METHODS.map(ipcChannel).sort());
  });

  it('carry a call from the app\'s page to the real service and back', async () => {
    electron.page.url = APP_ENTRY_URL;
    const added = await page.addCorpus({ name: 'over ipc', text: 'abc abc abc abc\n' });
    expect(added.name).toBe('over ipc');
    expect((await page.listCorpora()).map((c) => c.name)).toEqual(['over ipc']);
  });

  it('refuse a call from any other page, and store nothing', async () => {
    const before = (await service.listCorpora()).length;
    for (const url of ['https://example.com/', 'file:///tmp/index.html', '']) {
      electron.page.url = url;
      await expect(page.addCorpus({ name: 'intruder', text: 'xyz xyz xyz\n' })).rejects.toThrow(/did not come from the workbench window/);
    }
    expect((await service.listCorpora()).length).toBe(before);
  });

  it('refuse malformed arguments with a message naming the problem, and store nothing', async () => {
    electron.page.url = APP_ENTRY_URL;
    const before = (await service.listCorpora()).length;
    const bad = page as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await expect(bad.addCorpus(42)).rejects.toThrow(/addCorpus/);
    await expect(bad.addCorpus({ name: 'no text' })).rejects.toThrow(/text/);
    await expect(bad.getRun('1; DROP TABLE runs')).rejects.toThrow(/id/);
    expect((await service.listCorpora()).length).toBe(before);
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
