/**
 * WorkbenchApi over Electron IPC, main side: one `ipcMain.handle('wb:<method>')` per API method.
 * Every call is checked twice before the service sees it: the sender must be the app's own page
 * (not an iframe or a page navigated elsewhere), and the arguments must match schemas.ts.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { API_METHODS, ApiError, type WorkbenchApi } from '../api/contract.ts';
import { validateCall } from '../api/schemas.ts';
import { ipcChannel, type IpcResult } from './channels.ts';

export function registerIpcHandlers(api: WorkbenchApi, isTrustedSender: (url: string | undefined) => boolean): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcResult> => {
      try {
        if (!isTrustedSender(event.senderFrame?.url)) {
          throw new ApiError('Refused: the call did not come from the workbench window.', 'bad-input');
        }
        const valid = validateCall(method, args);
        const value = await (api[method] as (...a: unknown[]) => Promise<unknown>).apply(api, valid);
        return { ok: true, value };
      } catch (error) {
        if (error instanceof ApiError) return { ok: false, message: error.message, code: error.code };
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, message: message || 'Something went wrong in the workbench.', code: 'internal' };
      }
    });
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(ipcChannel(method));
  };
}
