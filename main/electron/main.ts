/**
 * The Electron main process: one instance per database (a lock file next to it), a sandboxed window showing the renderer from
 * our own app:// scheme, WorkbenchApi over IPC (ipc.ts), engines in utilityProcesses, and a quit that
 * pauses training runs (they resume later from their last checkpoint) instead of losing them.
 */
import { app, BrowserWindow, dialog, protocol, session, utilityProcess } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkbenchApi } from '../api/contract.ts';
import { PRODUCT_NAME } from '../cli/default-db.ts';
import { resolveDatabasePath } from '../storage/paths.ts';
import { electronEngineLauncher } from '../runs/electron-launcher.ts';
import { RUN_EVENT_CHANNEL } from './channels.ts';
import { registerIpcHandlers } from './ipc.ts';
import { installMenu } from './menu.ts';
import { createMainWindow } from './window.ts';
import { APP_ENTRY_URL, APP_SCHEME, appContentSecurityPolicy, fileForAppRequest, isAppUrl } from './security.ts';
import { contentTypeOf } from '../transport/page-policy.ts';
import { openService, type Service } from './service-host.ts';
import { acquireDatabaseLock } from './database-lock.ts';

// The app's name decides its userData folder, where its database lives (RW_DB points the CLI there too).
app.setName(PRODUCT_NAME);

const devUrl = process.env.RNNWB_DEV_URL || undefined;
const csp = appContentSecurityPolicy(devUrl);

// Must happen before 'ready': app:// behaves like a normal secure origin (fetch, relative URLs).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

void start();

async function start(): Promise<void> {
  let service: Service | null = null;
  let mainWindow: BrowserWindow | null = null;

  // Quitting while runs train: pause them (a checkpoint each), then really quit.
  let closing = false;
  app.on('before-quit', (event) => {
    if (!service || closing) return;
    event.preventDefault();
    closing = true;
    const current = service;
    service = null;
    void current.close()
      .catch((error: unknown) => process.stderr.write(`Could not pause the runs cleanly: ${String(error)}\n`))
      .finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await app.whenReady();

  const appRoot = app.getAppPath();
  const rendererDir = path.join(appRoot, 'dist', 'renderer');
  serveAppScheme(rendererDir);
  hardenSession();

  const dbPath = resolveDatabasePath({ electronUserData: app.getPath('userData') });
  // One app per database (not per userData folder, Electron's own lock): two would both run its queue.
  const lock = acquireDatabaseLock(dbPath);
  if (!lock.held) {
    process.stderr.write(`${lock.message}\n`);
    dialog.showErrorBox(PRODUCT_NAME, lock.message);
    app.exit(1);
    return;
  }
  app.on('quit', () => lock.release());
  try {
    service = openService({
      dbPath,
      engineLauncher: electronEngineLauncher(utilityProcess, path.join(appRoot, 'dist', 'engine', 'worker.js')),
    });
  } catch (error) {
    dialog.showErrorBox(PRODUCT_NAME, `Cannot open the workbench database "${dbPath}": ${error instanceof Error ? error.message : String(error)}`);
    app.exit(1);
    return;
  }

  const api: WorkbenchApi = service;
  registerIpcHandlers(api, (url) => isAppUrl(url, devUrl));
  api.onRunEvent((event) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed()) window.webContents.send(RUN_EVENT_CHANNEL, event);
    }
  });

  installMenu({ devTools: !app.isPackaged });
  const openWindow = () => {
    mainWindow = createWindow(appRoot);
    mainWindow.on('closed', () => (mainWindow = null));
  };
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
}

function createWindow(appRoot: string): BrowserWindow {
  return createMainWindow({
    preloadPath: path.join(appRoot, 'dist', 'electron', 'preload.cjs'),
    entryUrl: devUrl ?? APP_ENTRY_URL,
    devUrl,
  });
}

/** app://workbench/… → files of the built renderer, with the CSP as a real header. */
function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = fileForAppRequest(request.url, rendererDir);
    if (!file) return new Response('Not found.', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'Content-Type': contentTypeOf(file),
          'Content-Security-Policy': csp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      const missingBuild = file.endsWith(`${path.sep}index.html`);
      return new Response(
        missingBuild ? 'The user interface has not been built yet: run `npm run build`.' : 'Not found.',
        { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } },
      );
    }
  });
}

/** The CSP on every response (the dev server's too), and no permission (camera, notifications…) ever granted. */
function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}
