/**
 * The Electron main process: the window, the menus and the dialogs — nothing else. The workbench
 * service (SQLite, the run manager, inference) runs in the backend process (backend-host.ts), and each
 * page talks to it over a MessagePort that main hands over (ipc.ts), so no call can freeze the window.
 * One instance per database (a lock file next to it), a sandboxed window showing the renderer from our
 * own app:// scheme, and a quit that pauses training runs (they resume later from their last
 * checkpoint) instead of losing them.
 */
import { app, BrowserWindow, dialog, protocol, session } from 'electron';
import path from 'node:path';
import { PRODUCT_NAME } from '../app-identity.ts';
import { resolveDatabasePath } from '../storage/paths.ts';
import { prepareDatabasePath } from '../storage/database.ts';
import { startBackend, type Backend } from './backend-host.ts';
import { registerPortBroker } from './ipc.ts';
import { installMenu } from './menu.ts';
import { backendRunsApi, trackRunProgress } from './run-progress.ts';
import { createMainWindow } from './window.ts';
import { answerAppRequest, APP_ENTRY_URL, APP_SCHEME, appContentSecurityPolicy, isAppUrl } from './security.ts';
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
  let backend: Backend | null = null;
  let mainWindow: BrowserWindow | null = null;

  // Quitting while runs train: pause them (a checkpoint each), then really quit.
  let closing = false;
  app.on('before-quit', (event) => {
    if (!backend || closing) return;
    event.preventDefault();
    closing = true;
    const current = backend;
    backend = null;
    void current.close().finally(() => app.quit());
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
  try {
    // A wrong RW_DB (a folder, a path under a file, a read-only folder) gets its sentence before the lock file is made beside it.
    prepareDatabasePath(dbPath);
  } catch (error) {
    dialog.showErrorBox(PRODUCT_NAME, `Cannot open the workbench database "${dbPath}": ${error instanceof Error ? error.message : String(error)}`);
    app.exit(1);
    return;
  }
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
    backend = await startBackend({
      entry: path.join(appRoot, 'dist', 'backend', 'entry.js'),
      dbPath,
      engineWorker: path.join(appRoot, 'dist', 'engine', 'worker.js'),
    });
  } catch (error) {
    dialog.showErrorBox(PRODUCT_NAME, error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  backend.onUnexpectedExit((code) => {
    dialog.showErrorBox(PRODUCT_NAME, `The workbench backend stopped (exit code ${code}). Runs that were training resume from their last checkpoint when the app starts again.`);
    app.exit(1);
  });

  registerPortBroker(backend, (url) => isAppUrl(url, devUrl));

  // A menu item that opens a view sets the page's #view hash (App.svelte follows it).
  installMenu({
    devTools: !app.isPackaged,
    navigate: (view) => void mainWindow?.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#${view}`)}`),
  });
  const openWindow = () => {
    mainWindow = createWindow(appRoot);
    mainWindow.on('closed', () => (mainWindow = null));
  };
  openWindow();
  trackRunProgress(backendRunsApi(backend), () => mainWindow);
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
    const answer = await answerAppRequest(request.url, rendererDir, csp);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
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
