/**
 * The IPC vocabulary shared by main (ipc.ts) and the preload. Kept apart and import-free so the
 * sandboxed preload's bundle stays tiny.
 */

/** The channel of one API method. */
export const ipcChannel = (method: string): string => `wb:${method}`;

/** Run events come down this channel to every window. */
export const RUN_EVENT_CHANNEL = 'wb:run-event';

/** A call's answer: errors travel as values, so the readable message and its code survive IPC. */
export type IpcResult = { ok: true; value: unknown } | { ok: false; message: string; code: string };
