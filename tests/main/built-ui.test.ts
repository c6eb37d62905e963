// The one resolver of the built user interface (main/transport/built-ui.ts), used by the desktop app's
// app:// handler and by the browser host: which file a request gets (never one outside the folder), the
// headers every answer carries, and the page that says the UI is not built. Real files in a temp folder;
// the browser host is the real server, answering exactly what the resolver says.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkbenchApi } from '../../main/api/contract.ts';
import { answerAppRequest, appContentSecurityPolicy } from '../../main/electron/security.ts';
import { answerUiRequest, builtUiFile, type UiAnswer } from '../../main/transport/built-ui.ts';
import { contentSecurityPolicy, startBrowserHost, type BrowserHost } from '../../main/transport/ws-server.ts';
import { tempDir } from './cli-helpers.ts';

const tmp = tempDir('rw-built-ui-');
const ui = path.join(tmp.dir, 'ui');
const empty = path.join(tmp.dir, 'ui-empty');
const INDEX = '<!doctype html><title>Recurrent Workbench</title><script src="./assets/a.js"></script>';
const SCRIPT = 'console.log("a");';
const SECRET = 'beside the UI folder: never served';
const csp = appContentSecurityPolicy();

beforeAll(() => {
  mkdirSync(path.join(ui, 'assets'), { recursive: true });
  mkdirSync(empty);
  writeFileSync(path.join(ui, 'index.html'), INDEX);
  writeFileSync(path.join(ui, 'assets', 'a.js'), SCRIPT);
  writeFileSync(path.join(tmp.dir, 'secret.txt'), SECRET);
});
afterAll(() => tmp.remove());

const text = (answer: UiAnswer) => (typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8'));
/** The headers every answer carries, whatever it is. */
const guarded = { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

describe('the built UI resolver', () => {
  it('maps a URL path into the folder, and nothing outside it', () => {
    expect(builtUiFile(ui, '/')).toBe(path.join(ui, 'index.html'));
    expect(builtUiFile(ui, '')).toBe(path.join(ui, 'index.html'));
    expect(builtUiFile(ui, '/assets/a.js')).toBe(path.join(ui, 'assets', 'a.js'));
    expect(builtUiFile(ui, '/assets/%61.js')).toBe(path.join(ui, 'assets', 'a.js'));
    for (const escape of ['/..%2Fsecret.txt', '/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', `/${'..%2F'.repeat(8)}etc/passwd`]) {
      expect(builtUiFile(ui, escape), escape).toBeNull();
    }
    expect(builtUiFile(ui, '/%E0%A4%A'), 'a path that does not decode').toBeNull();
  });

  it('answers a file with its type and the page headers; the page itself is never cached', async () => {
    const page = await answerUiRequest(ui, '/', csp);
    expect(page.status).toBe(200);
    expect(text(page)).toBe(INDEX);
    expect(page.headers).toEqual({ ...guarded, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    const script = await answerUiRequest(ui, '/assets/a.js', csp);
    expect(text(script)).toBe(SCRIPT);
    expect(script.headers).toEqual({ ...guarded, 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
  });

  it('answers 404, still with the page headers, for a missing file, a folder, an escape and a refused request', async () => {
    for (const urlPath of ['/missing.js', '/assets', '/assets/', '/..%2Fsecret.txt', '/%E0%A4%A', null]) {
      const answer = await answerUiRequest(ui, urlPath, csp);
      expect(answer.status, String(urlPath)).toBe(404);
      expect(text(answer)).toBe('Not found.\n');
      expect(answer.headers).toMatchObject(guarded);
    }
  });

  it('says the UI is not built when its folder has no index page', async () => {
    const answer = await answerUiRequest(empty, '/', csp);
    expect(answer.status).toBe(200);
    expect(text(answer)).toContain('The user interface has not been built yet. Run <code>npm run build</code>');
    expect(answer.headers).toEqual({ ...guarded, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    expect((await answerUiRequest(empty, '/assets/a.js', csp)).status).toBe(404);
  });
});

describe('both hosts answer with the resolver', () => {
  let host: BrowserHost;
  const api = { onRunEvent: () => () => {} } as unknown as WorkbenchApi;

  beforeAll(async () => {
    host = await startBrowserHost({ api, port: 0, rendererDir: ui });
  });
  afterAll(() => host?.close());

  function get(rawPath: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const separator = rawPath.includes('?') ? '&' : '?';
      const req = request({ host: '127.0.0.1', port: host.port, path: `${rawPath}${separator}token=${host.token}` }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('the browser host sends what the resolver answers, with its own CSP', async () => {
    const hostCsp = contentSecurityPolicy(host.port);
    for (const rawPath of ['/', '/assets/a.js', '/missing.js', '/..%2Fsecret.txt', '/%E0%A4%A']) {
      const expected = await answerUiRequest(ui, new URL(rawPath, 'http://x').pathname, hostCsp);
      const got = await get(rawPath);
      expect(got.status, rawPath).toBe(expected.status);
      expect(got.body, rawPath).toBe(text(expected));
      for (const [name, value] of Object.entries(expected.headers)) expect(got.headers[name.toLowerCase()], `${rawPath} ${name}`).toBe(value);
      expect(got.body).not.toContain(SECRET);
    }
  });

  it('the app:// handler maps only the app\'s own host, then answers alike', async () => {
    const answer = (url: string) => answerAppRequest(url, ui, csp);
    expect(text(await answer('app://workbench/'))).toBe(INDEX);
    expect(text(await answer('app://workbench/assets/a.js'))).toBe(SCRIPT);
    expect((await answer('app://workbench/..%2Fsecret.txt')).status).toBe(404);
    expect((await answer('app://elsewhere/index.html')).status).toBe(404);
    expect((await answer('https://example.com/index.html')).status).toBe(404);
  });
});
