/**
 * The preload's end of the page's MessagePort to the backend: calls become call frames with an id,
 * answers come back as result or error frames, run events as event frames. Every frame that arrives is
 * checked for its shape before it is believed (the page sees only values and plain Errors). Calls made
 * before the port has come wait for it. Browser-safe and import-free at run time (it is bundled into
 * the sandboxed preload).
 */
import type { RunEvent } from '../api/contract.ts';
import type { ServerFrame } from '../api/wire.ts';

/** The DOM MessagePort as the preload receives it (only what is used). */
export interface PagePort {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface PageConnection {
  call(method: string, args: unknown[]): Promise<unknown>;
  onEvent(listener: (event: RunEvent) => void): () => void;
  /** The port main handed over. */
  attach(port: PagePort): void;
  /** Main would not connect this page: every call, waiting or later, fails with `message`. */
  refuse(message: string): void;
}

export function createPageConnection(): PageConnection {
  let port: PagePort | null = null;
  let refusal: string | null = null;
  let nextId = 1;
  const waiting: unknown[] = [];
  const inFlight = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const listeners = new Set<(event: RunEvent) => void>();

  const receive = (data: unknown) => {
    const frame = serverFrame(data);
    if (!frame) return;
    if (frame.kind === 'event') {
      for (const listener of listeners) listener(frame.event);
      return;
    }
    const pending = inFlight.get(frame.id);
    if (!pending) return;
    inFlight.delete(frame.id);
    if (frame.kind === 'result') pending.resolve(frame.value);
    else pending.reject(pageError(frame.message, frame.code));
  };

  return {
    call(method, args) {
      if (refusal !== null) return Promise.reject(pageError(refusal, 'bad-input'));
      const id = nextId++;
      const answer = new Promise<unknown>((resolve, reject) => inFlight.set(id, { resolve, reject }));
      const frame = { kind: 'call', id, method, args };
      if (port) port.postMessage(frame);
      else waiting.push(frame);
      return answer;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    attach(given) {
      port = given;
      port.onmessage = (event) => receive(event.data);
      for (const frame of waiting.splice(0)) port.postMessage(frame);
    },
    refuse(message) {
      refusal = message;
      waiting.length = 0;
      for (const pending of inFlight.values()) pending.reject(pageError(message, 'bad-input'));
      inFlight.clear();
    },
  };
}

/** The frame, when it has the shape of one; anything else is dropped. */
function serverFrame(data: unknown): ServerFrame | null {
  if (!data || typeof data !== 'object') return null;
  const frame = data as Record<string, unknown>;
  if (frame.kind === 'event') {
    const event = frame.event as Record<string, unknown> | null;
    return event && typeof event === 'object' && typeof event.type === 'string' && typeof event.runId === 'number' ? (frame as ServerFrame) : null;
  }
  if (typeof frame.id !== 'number' || !Number.isInteger(frame.id)) return null;
  if (frame.kind === 'result' && 'value' in frame) return frame as ServerFrame;
  if (frame.kind === 'error' && typeof frame.message === 'string' && typeof frame.code === 'string') return frame as ServerFrame;
  return null;
}

/** Errors cross the context bridge as plain Errors: the message is what a person reads. */
function pageError(message: string, code: string): Error {
  const error = new Error(message);
  error.name = code === 'bad-input' ? 'ApiError' : `ApiError(${code})`;
  return error;
}
