/**
 * `rnnwb serve`: the real binary on port 0 with a temp database. Calls over the WebSocket work with
 * the printed token and nothing else does: no token, a wrong Host or a wrong Origin is refused, and a
 * malformed payload gets a clear error while nothing changes.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunEvent } from '../../main/api/contract.ts';
import { decodeFrame, encodeFrame, type ServerFrame } from '../../main/api/wire.ts';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { seedCorpus, startServe, tempDir, type ServeProcess } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-serve-');
let server: ServeProcess;
let url: URL;
let port: number;
let token: string;

beforeAll(async () => {
  server = await startServe(tmp.db);
  url = server.url;
  expect(url.toString()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
  port = Number(url.port);
  token = url.searchParams.get('token')!;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

function api(): WsApi {
  return server.connect();
}

function httpGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw socket; resolves with it when open, or with the HTTP status of the refusal. */
function rawSocket(query: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, options);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

function nextFrame(socket: WebSocket): Promise<ServerFrame> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(decodeFrame<ServerFrame>(String(data)))));
}

describe('rnnwb serve', () => {
  it('answers calls over the WebSocket with the printed token', async () => {
    const wb = api();
    expect(await wb.listCorpora()).toEqual([]);
    const presets = await wb.presets();
    expect(presets.map((p) => p.name)).toContain('reference');
    const corpus = await wb.addCorpus({ name: 'seed', bytes: new Uint8Array(readFileSync(seedCorpus)) });
    expect(corpus.chars).toBe(102);
    expect((await wb.listCorpora()).map((c) => c.name)).toEqual(['seed']);
  });

  it('serves the page with the token, a strict CSP and an HttpOnly SameSite=Strict cookie', async () => {
    const page = await httpGet(`/?token=${token}`, { Host: `127.0.0.1:${port}` });
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)/);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // With the cookie alone (as the page's assets load) the server answers; a missing file is a 404, not a 403.
    const cookiePair = cookie.split(';')[0];
    const asset = await httpGet('/no-such-asset.js', { Cookie: cookiePair });
    expect(asset.status).toBe(404);
    expect((await httpGet('/', { Cookie: cookiePair })).status).toBe(200);
  });

  it('refuses HTTP and WebSocket without the right token', async () => {
    expect((await httpGet('/')).status).toBe(403);
    expect((await httpGet('/?token=wrong')).status).toBe(403);
    expect((await httpGet('/', { Cookie: `rnnwb_${port}=wrong` })).status).toBe(403);
    expect(await rawSocket('')).toBe(403);
    expect(await rawSocket('?token=wrong')).toBe(403);
  });

  it('refuses a wrong Host or Origin even with the token', async () => {
    expect((await httpGet(`/?token=${token}`, { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await httpGet(`/?token=${token}`, { Host: '127.0.0.1:1' })).status).toBe(403);
    expect((await httpGet(`/?token=${token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect(await rawSocket(`?token=${token}`, { headers: { Host: `rebound.example:${port}` } })).toBe(403);
    expect(await rawSocket(`?token=${token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await rawSocket(`?token=${token}`, { origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    const allowed = await rawSocket(`?token=${token}`, { origin: `http://localhost:${port}` });
    expect(allowed).toBeInstanceOf(WebSocket);
    (allowed as WebSocket).close();
  });

  it('answers a malformed payload with a clear error and changes nothing', async () => {
    const wb = api();
    const before = await wb.listCorpora();
    const socket = (await rawSocket(`?token=${token}`)) as WebSocket;
    try {
      socket.send('{not json');
      expect(await nextFrame(socket)).toMatchObject({ kind: 'error', id: -1, code: 'bad-input', message: 'The frame is not valid JSON.' });

      socket.send(encodeFrame({ kind: 'call', id: 7, method: 'addCorpus', args: [{ name: 42, text: 'abc' }] }));
      const bad = await nextFrame(socket);
      expect(bad).toMatchObject({ kind: 'error', id: 7, code: 'bad-input' });
      expect((bad as { message: string }).message).toMatch(/^addCorpus: input\.name: /);

      socket.send(JSON.stringify({ kind: 'call', id: 8, method: 'dropEverything', args: [] }));
      expect(await nextFrame(socket)).toMatchObject({ kind: 'error', id: 8, message: 'Unknown method "dropEverything".' });

      socket.send(JSON.stringify({ kind: 'call', id: 9, method: 'deleteCorpus', args: ['1; DROP TABLE corpora'] }));
      expect(await nextFrame(socket)).toMatchObject({ kind: 'error', id: 9, code: 'bad-input' });

      // A well-formed call that the service refuses comes back as that error, readable.
      socket.send(encodeFrame({ kind: 'call', id: 10, method: 'getRun', args: [987654] }));
      const missing = await nextFrame(socket);
      expect(missing).toMatchObject({ kind: 'error', id: 10 });
      expect((missing as { message: string }).message).not.toMatch(/\n|\bat .+:\d+/);
    } finally {
      socket.close();
    }
    expect(await wb.listCorpora()).toEqual(before);
  });

  it('pushes run events to every connected client', async () => {
    const trainer = api();
    const watcher = api();
    const seen: RunEvent[] = [];
    watcher.onRunEvent((event) => seen.push(event));
    await watcher.listRuns(); // connected
    const [corpus] = await trainer.listCorpora();
    const ended = new Promise<RunEvent>((resolve) => {
      watcher.onRunEvent((event) => {
        if (event.type === 'status' && ['done', 'failed', 'stopped', 'interrupted'].includes(event.status)) resolve(event);
      });
    });
    const run = await trainer.createRun({ corpusId: corpus.id, preset: 'reference', hyper: { steps: 30 }, name: 'over-ws' });
    const end = await ended;
    expect(end).toMatchObject({ runId: run.id, status: 'done' });
    expect(seen.some((e) => e.type === 'progress' && e.runId === run.id)).toBe(true);
    expect(seen.some((e) => e.type === 'checkpoint' && e.runId === run.id)).toBe(true);
    const detail = await trainer.getRun(run.id);
    expect(detail.step).toBe(30);

    // Bytes survive the wire both ways.
    const exported = await trainer.exportCheckpoint({ checkpointId: detail.checkpoints.at(-1)!.id });
    expect(exported.bytes).toBeInstanceOf(Uint8Array);
    const imported = await trainer.importCheckpoint({ bytes: exported.bytes, name: 'round-trip' });
    expect(imported.name).toBe('round-trip');
  });

  it('the client rejects a pending call when its connection closes', async () => {
    const wb = api();
    await wb.listRuns();
    const pending = wb.storageInfo();
    wb.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(wb.listRuns()).rejects.toThrow(/closed/);
  });
});
