/**
 * The application menu: File, Edit, View, Run, Window and Help with the usual accelerators. Items that
 * open a view ask the page to show it (`navigate`, which main.ts turns into the page's #view hash);
 * Edit's standard roles make copy and paste work.
 */
import { app, Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  devTools: boolean;
  /** Shows one of the page's views ('corpora', 'new-run', 'training', 'compare', 'playground', 'start'). */
  navigate?: (view: string) => void;
}

export function menuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const isMac = process.platform === 'darwin';
  const go = (label: string, view: string, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => options.navigate?.(view),
  });
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        go('Import Corpus…', 'corpora', 'CmdOrCtrl+O'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(options.devTools ? [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    {
      label: 'Run',
      submenu: [
        go('New Run…', 'new-run', 'CmdOrCtrl+N'),
        { type: 'separator' },
        go('Training', 'training', 'CmdOrCtrl+T'),
        go('Compare', 'compare', 'CmdOrCtrl+E'),
        go('Playground', 'playground', 'CmdOrCtrl+P'),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        go('Start Page', 'start', 'F1'),
        { type: 'separator' },
        { label: `Recurrent Workbench ${app.getVersion()}`, enabled: false },
      ],
    },
  ];
}

export function installMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(options)));
}
