/**
 * The one IPC handler of main: a page's preload asks for its connection, and gets a MessagePort to the
 * backend process — only if it is the app's own page (not an iframe, not a page navigated elsewhere).
 * Every call on that port is then checked by the dispatcher in the backend (schemas.ts), as the browser
 * host's calls are.
 */
import { ipcMain, type IpcMainEvent } from 'electron';
import type { Backend } from './backend-host.ts';
import { CONNECT_CHANNEL, PORT_CHANNEL, REFUSED_SENDER } from './channels.ts';

export function registerPortBroker(backend: Pick<Backend, 'connect'>, isTrustedSender: (url: string | undefined) => boolean): () => void {
  const listener = (event: IpcMainEvent) => {
    const frame = event.senderFrame;
    if (!frame || !isTrustedSender(frame.url)) {
      (frame ?? event.sender).postMessage(PORT_CHANNEL, { refused: REFUSED_SENDER });
      return;
    }
    backend.connect(frame);
  };
  ipcMain.on(CONNECT_CHANNEL, listener);
  return () => {
    ipcMain.removeListener(CONNECT_CHANNEL, listener);
  };
}
