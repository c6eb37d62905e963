/**
 * WorkbenchApi over the browser host's WebSocket, for the renderer when it runs in a browser.
 * Browser-safe: no Node imports. Reconnects by itself after the socket drops; calls already sent when
 * it drops are rejected (the server may or may not have run them, so the caller decides), calls made
 * while (re)connecting wait for the connection.
 */
import { API_METHODS, ApiError, type ApiMethod, type RunEvent, type WorkbenchApi } from '../api/contract.ts';
import { decodeFrame, encodeFrame, type ServerFrame } from '../api/wire.ts';
import { toErrorCode } from '../errors.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface WsApiOptions {
  /** A WebSocket constructor (the browser's by default; tests under Node pass the `ws` package's). */
  WebSocket?: new (url: string) => WebSocket;
  /** First reconnection delay; it doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface WsApi extends WorkbenchApi {
  readonly state: ConnectionState;
  /** Called with every change of connection state; returns an unsubscribe function. */
  onConnectionChange(callback: (state: ConnectionState) => void): () => void;
  /** Closes the socket for good (no more reconnection); pending calls are rejected. */
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * `url` is the page address the host printed (http://127.0.0.1:PORT/…) or the socket address
 * (ws://127.0.0.1:PORT/ws); `token` is the one from the page's URL.
 */
export function createWsApi(url: string, token: string, options: WsApiOptions = {}): WsApi {
  const Socket = options.WebSocket ?? globalThis.WebSocket;
  const socketUrl = toSocketUrl(url, token);
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;

  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let closedForGood = false;
  let delay = firstDelay;
  let nextId = 1;
  const inFlight = new Map<number, Pending>();
  const waiting: { text: string; id: number }[] = [];
  const runListeners = new Set<(event: RunEvent) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  }

  function connect(): void {
    if (socket || closedForGood) return;
    setState('connecting');
    const current = new Socket(socketUrl);
    socket = current;
    current.onopen = () => {
      delay = firstDelay;
      setState('open');
      for (const { text } of waiting.splice(0)) current.send(text);
    };
    current.onmessage = (message: MessageEvent) => receive(String(message.data));
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      const reason = closedForGood
        ? 'The connection to the workbench was closed.'
        : 'The connection to the workbench dropped; reconnecting.';
      rejectAll(reason);
      setState('closed');
      if (!closedForGood) {
        setTimeout(() => { if (!closedForGood) connect(); }, delay);
        delay = Math.min(delay * 2, maxDelay);
      }
    };
    // An error is always followed by a close, which does the work.
    current.onerror = () => {};
  }

  function rejectAll(reason: string): void {
    const error = new ApiError(reason, 'internal');
    for (const pending of inFlight.values()) pending.reject(error);
    inFlight.clear();
    waiting.length = 0;
  }

  function receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = decodeFrame<ServerFrame>(text);
    } catch {
      return;
    }
    if (frame.kind === 'event') {
      for (const listener of runListeners) listener(frame.event);
      return;
    }
    const pending = inFlight.get(frame.id);
    if (!pending) return;
    inFlight.delete(frame.id);
    if (frame.kind === 'result') pending.resolve(frame.value);
    else pending.reject(new ApiError(frame.message, toErrorCode(frame.code)));
  }

  function call(method: ApiMethod, args: unknown[]): Promise<unknown> {
    if (closedForGood) return Promise.reject(new ApiError('The connection to the workbench was closed.', 'internal'));
    // Drop trailing undefined (JSON would turn it into null, which an optional argument refuses).
    while (args.length > 0 && args[args.length - 1] === undefined) args = args.slice(0, -1);
    const id = nextId++;
    const text = encodeFrame({ kind: 'call', id, method, args });
    return new Promise((resolve, reject) => {
      inFlight.set(id, { resolve, reject });
      if (state === 'open' && socket) socket.send(text);
      else waiting.push({ text, id });
      if (state === 'closed' && !socket) connect();
    });
  }

  const methods = Object.fromEntries(
    API_METHODS.map((method) => [method, (...args: unknown[]) => call(method, args)]),
  ) as unknown as Omit<WorkbenchApi, 'onRunEvent'>;

  connect();

  return {
    ...methods,
    get state() {
      return state;
    },
    onRunEvent(callback) {
      runListeners.add(callback);
      return () => runListeners.delete(callback);
    },
    onConnectionChange(callback) {
      stateListeners.add(callback);
      return () => stateListeners.delete(callback);
    },
    close() {
      closedForGood = true;
      const current = socket;
      socket = null;
      rejectAll('The connection to the workbench was closed.');
      current?.close();
      setState('closed');
    },
  };
}

function toSocketUrl(url: string, token: string): string {
  const address = new URL(url);
  if (address.protocol === 'http:' || address.protocol === 'https:') {
    // A page address: the socket lives at /ws on the same host.
    address.protocol = address.protocol === 'http:' ? 'ws:' : 'wss:';
    address.pathname = '/ws';
  } else if (address.pathname === '/' || address.pathname === '') {
    address.pathname = '/ws';
  }
  address.search = '';
  address.searchParams.set('token', token);
  address.hash = '';
  return address.toString();
}
