/**
 * The WebSocket wire format of WorkbenchApi (browser host ⇄ renderer): JSON text frames.
 * Uint8Array values are sent as `{ "$bytes": "<base64>" }` so checkpoint files survive JSON.
 * Browser-safe: no Node imports.
 */
import type { ApiMethod, RunEvent } from './contract.ts';

export type ClientFrame = { kind: 'call'; id: number; method: ApiMethod; args: unknown[] };

export type ServerFrame =
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; message: string; code: string }
  | { kind: 'event'; event: RunEvent };

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame, (_key, value) =>
    value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value,
  );
}

export function decodeFrame<T extends ClientFrame | ServerFrame>(text: string): T {
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1
      ? base64ToBytes(value.$bytes)
      : value,
  ) as T;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
