/**
 * The one place that picks the transport: Electron's preload exposes `window.workbench`; in a browser
 * the page was opened as http://127.0.0.1:PORT/?token=T and talks WebSocket to the same host.
 * Components import `api` and never know which one it is.
 */
import type { WorkbenchApi } from '../../../main/api/contract.ts';
import { createWsApi } from '../../../main/transport/ws-client.ts';
import { t } from './i18n.svelte.ts';

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

/**
 * An error from the host as a sentence for the user. The host writes English; in another language the
 * sentence is labelled as the server's ("服务器：…") so the change of language is not mistaken for a bug.
 */
export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return t('error.server', { message });
}
