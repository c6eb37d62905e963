// The Electron application menu (main/electron/menu.ts) against the stand-in 'electron' module: File,
// Edit, View, Run, Window and Help, the usual accelerators, and items that open a view.
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';

const electron = await vi.hoisted(async () => (await import('./electron-stand-in.ts')).createElectronStandIn());
vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

type Item = MenuItemConstructorOptions & { submenu?: Item[] };

describe('the application menu', () => {
  it('has File, Edit, View, Run, Window and Help, with the usual accelerators; its items open views', async () => {
    const { installMenu } = await import('../../main/electron/menu.ts');
    const opened: string[] = [];
    installMenu({ devTools: false, navigate: (view) => opened.push(view) });
    const menu = electron.applicationMenu.current as Item[];
    const names = menu.filter((item) => item.role !== 'appMenu').map((item) => item.label ?? item.role);
    expect(names).toEqual(['File', 'editMenu', 'View', 'Run', 'windowMenu', 'help']);

    const items = menu.flatMap((item) => item.submenu ?? []);
    const byLabel = (label: string) => items.find((item) => item.label === label)!;
    const accelerators = Object.fromEntries(items.filter((i) => i.label && i.accelerator).map((i) => [i.label, i.accelerator]));
    expect(accelerators).toEqual({
      'Import Corpus…': 'CmdOrCtrl+O', 'New Run…': 'CmdOrCtrl+N', Training: 'CmdOrCtrl+T', Compare: 'CmdOrCtrl+E',
      Playground: 'CmdOrCtrl+P', 'Start Page': 'F1',
    });
    expect(items.some((i) => i.role === 'quit' || i.role === 'close')).toBe(true);
    expect(items.some((i) => i.role === 'toggleDevTools')).toBe(false);
    for (const label of ['New Run…', 'Import Corpus…', 'Compare', 'Start Page']) (byLabel(label).click as () => void)();
    expect(opened).toEqual(['new-run', 'corpora', 'compare', 'start']);
    expect(items.find((i) => i.enabled === false)?.label).toBe('Recurrent Workbench 0.1.0');
  });
});
