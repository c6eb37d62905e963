/**
 * The little IPC there is between a page's preload and main: the preload asks for its connection, and
 * main answers with a MessagePort to the backend process (or with why not). Calls and run events then
 * go over that port (frames of api/wire.ts), never through main. Import-free, so the sandboxed
 * preload's bundle stays tiny.
 */

/** Preload → main: "connect this page to the backend". */
export const CONNECT_CHANNEL = 'wb:connect';

/** Main → preload: the page's port (in the event's `ports`), or `{ refused }` without one. */
export const PORT_CHANNEL = 'wb:port';

export interface PortAnswer {
  refused?: string;
}

/** Said to a page that is not the app's own (an iframe, a page navigated elsewhere). */
export const REFUSED_SENDER = 'Refused: the call did not come from the workbench window.';
