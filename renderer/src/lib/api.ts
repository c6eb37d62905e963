/**
 * The one place that picks the transport: Electron's preload exposes `window.workbench`; in a browser
 * the page was opened as http://127.0.0.1:PORT/?token=T and talks WebSocket to the same host.
 * Components import `api` and never know which one it is.
 */
import type { WorkbenchApi } from '../../../main/api/contract.ts';
import { createWsApi } from '../../../main/transport/ws-client.ts';

declare global {
  interface Window {
    workbench?: WorkbenchApi;
  }
}

function pickTransport(): WorkbenchApi {
  if (window.workbench) return window.workbench;
  const token = new URLSearchParams(location.search).get('token') ?? '';
  // The client derives ws://HOST/ws?token=T from the page address.
  return createWsApi(location.href, token);
}

export const api: WorkbenchApi = pickTransport();

/** Connection changes of the WebSocket transport (Electron's IPC never drops, so no-op there). */
export function onConnectionChange(callback: (state: 'connecting' | 'open' | 'closed') => void): () => void {
  const withState = api as WorkbenchApi & { onConnectionChange?: (cb: typeof callback) => () => void };
  return withState.onConnectionChange?.(callback) ?? (() => {});
}

/** An error as a sentence for the user (API errors already are; anything else gets its message). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
