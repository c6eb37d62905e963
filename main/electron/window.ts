/**
 * The main window, with Electron's security settings spelled out rather than left to defaults: an
 * isolated, sandboxed renderer without Node, no new windows, no navigation away from the app, no
 * webviews, no permission prompts.
 */
import { BrowserWindow } from 'electron';
import { isAppUrl } from './security.ts';

export interface MainWindowOptions {
  preloadPath: string;
  /** app://workbench/index.html, or the dev server's URL. */
  entryUrl: string;
  devUrl?: string;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Recurrent Workbench',
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      // Middle-click would open links in new windows behind the open handler's back.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => window.show());

  const contents = window.webContents;
  // The workbench works offline and links nowhere: no window ever opens, inside the app or out.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, options.devUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, options.devUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());

  void window.loadURL(options.entryUrl);
  return window;
}
