/**
 * The browser host: WorkbenchApi over a WebSocket, plus the built renderer as static files, on
 * 127.0.0.1 only. Anything on this machine can reach a loopback port (another user, a web page doing
 * DNS rebinding), so every request must carry the per-start token (in the URL, or the HttpOnly cookie
 * set on the first tokened page load), the Host header must name this server, and an Origin, when a
 * browser sends one, must be this server's own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, type WorkbenchApi } from '../api/contract.ts';
import { answerCallFrame, errorFrame } from '../api/dispatch.ts';
import { decodeFrame, encodeFrame, type ServerFrame } from '../api/wire.ts';
import { answerUiRequest, DEFAULT_RENDERER_DIR } from './built-ui.ts';
import { rendererContentSecurityPolicy } from './page-policy.ts';
/** The path the renderer's WebSocket connects to. */
export const WS_PATH = '/ws';
/** Checkpoints travel inside frames; generous, but bounded. */
const MAX_FRAME_BYTES = 512 * 1024 * 1024;

export interface BrowserHostOptions {
  api: WorkbenchApi;
  /** 0 (the default) = any free port. */
  port?: number;
  rendererDir?: string;
}

export interface BrowserHost {
  /** `http://127.0.0.1:PORT/?token=T` — the one line `serve` prints. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** The page's CSP: the renderer's policy, with sockets only to this host. */
export function contentSecurityPolicy(port: number): string {
  return rendererContentSecurityPolicy({ connectTo: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { api } = options;
  const rendererDir = path.resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const token = randomBytes(24).toString('base64url');
  const server = createServer();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('The server has no TCP address.');
  const port = address.port;
  const cookieName = `rnnwb_${port}`;
  const csp = contentSecurityPolicy(port);

  /** Why a request is refused, or null when it may go on. */
  function refusal(request: IncomingMessage): string | null {
    const host = request.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return 'Wrong Host header.';
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
      return 'Wrong Origin.';
    }
    if (!tokenMatches(queryToken(request)) && !tokenMatches(cookieToken(request, cookieName))) {
      return 'Missing or wrong token: open the address `serve` printed.';
    }
    return null;
  }

  function tokenMatches(candidate: string | null): boolean {
    if (candidate === null) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const refused = refusal(request);
    if (refused) return sendText(response, 403, `Forbidden. ${refused}\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'Method not allowed.\n');
    // The first tokened load leaves a cookie so the page's own assets (which carry no token) load.
    if (tokenMatches(queryToken(request))) {
      response.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    serveBuiltUi(request, response, rendererDir, csp).catch(() => sendText(response, 500, 'Could not read the file.\n'));
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusal(request);
    if (refused || requestUrl(request)?.pathname !== WS_PATH) {
      socket.end(`HTTP/1.1 ${refused ? '403 Forbidden' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => serveClient(client, api));
  });

  // Run events go to every connected page.
  const unsubscribe = api.onRunEvent((event) => {
    const text = encodeFrame({ kind: 'event', event });
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(text);
  });

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One page's socket: each call frame goes through the dispatcher and is answered with a result or an error frame. */
function serveClient(client: WebSocket, api: WorkbenchApi): void {
  // A frame that breaks the protocol (bad UTF-8, reserved bits, no mask, over the size limit) makes ws send
  // the matching close code and then emit 'error'; unheard, that error would end the whole server. Only this
  // client is at fault: drop it, and the other pages and the runs go on.
  client.on('error', () => client.terminate());
  client.on('message', async (data, isBinary) => {
    let reply: ServerFrame;
    try {
      if (isBinary) throw new ApiError('Frames must be JSON text.', 'bad-input');
      reply = await answerCallFrame(api, parseFrame(String(data)));
    } catch (error) {
      // The frame itself was unreadable: there is no call id to answer to.
      reply = errorFrame(-1, error);
    }
    if (client.readyState === client.OPEN) client.send(encodeFrame(reply));
  });
}

function parseFrame(text: string): unknown {
  try {
    return decodeFrame(text);
  } catch {
    throw new ApiError('The frame is not valid JSON.', 'bad-input');
  }
}

/** The request's URL, or null when it does not parse (such a request is refused). */
function requestUrl(request: IncomingMessage): URL | null {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

function queryToken(request: IncomingMessage): string | null {
  return requestUrl(request)?.searchParams.get('token') ?? null;
}

function cookieToken(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** The built UI's file (or the page that says it is not built) with the page's headers; see built-ui.ts. */
async function serveBuiltUi(request: IncomingMessage, response: ServerResponse, rendererDir: string, csp: string): Promise<void> {
  const urlPath = requestUrl(request)?.pathname ?? null;
  const answer = await answerUiRequest(rendererDir, urlPath, csp);
  response.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
  response.end(request.method === 'HEAD' ? undefined : answer.body);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
