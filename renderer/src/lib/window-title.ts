/**
 * The window's (or tab's) title: the app's name, led by the progress of the runs that are training
 * ("37 % · Recurrent Workbench", contract.ts trainingProgress), so it reads from the taskbar or another tab.
 */
export { trainingProgress } from '../../../main/api/contract.ts';

export function windowTitle(appTitle: string, progress: number | null): string {
  // Floor, so 100 % shows only when every step is done.
  return progress === null ? appTitle : `${Math.floor(progress * 100)} % · ${appTitle}`;
}
