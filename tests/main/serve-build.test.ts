/**
 * `rnnwb serve` on a clone that has never built its user interface (dist/ is not in git): it builds
 * the renderer, saying so in one line, and serves the real page. The build goes to an empty temp
 * folder ($RW_RENDERER_DIR), so the dist/renderer that the app and the e2e suite use is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cliPath, firstLine, repoRoot, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-serve-build-');
const uiDir = path.join(tmp.dir, 'ui');
const servers: ChildProcess[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if (server.exitCode !== null || server.signalCode !== null) continue;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    await exited;
  }
});
afterAll(() => tmp.remove());

/** Starts `rnnwb serve` on the temp UI folder; resolves with its address and what it said on stderr so far. */
async function serve(extraArgs: string[] = []): Promise<{ url: URL; stderr: () => string }> {
  const server = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--db', tmp.db, ...extraArgs], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RW_RENDERER_DIR: uiDir },
  });
  servers.push(server);
  let stderr = '';
  server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const line = await firstLine(server).catch((error: Error) => {
    throw new Error(`${error.message}: ${stderr}`);
  });
  return { url: new URL(line), stderr: () => stderr };
}

function get(url: URL, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: `${pathname}?token=${url.searchParams.get('token')}` }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rnnwb serve without a built user interface', () => {
  it('builds it once, saying so in one line, and serves the real page', async () => {
    mkdirSync(uiDir, { recursive: true });
    const { url, stderr } = await serve();
    expect(stderr().trim().split('\n')).toEqual(['Building the user interface (vite build)…']);
    const builtPage = path.join(uiDir, 'index.html');
    expect(existsSync(builtPage)).toBe(true);
    const page = await get(url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toBe(readFileSync(builtPage, 'utf8'));
    expect(page.body).not.toContain('has not been built');
    // The page's own script is there too.
    const script = /<script[^>]*src="\.?\/?([^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await get(url, `/${script}`)).status).toBe(200);
  }, 240_000);

  it('does not build again while the build is newer than its sources', async () => {
    // Dated a day ahead, so an edit made elsewhere meanwhile (others work in this tree) cannot make it stale.
    const tomorrow = new Date(Date.now() + 86_400_000);
    utimesSync(path.join(uiDir, 'index.html'), tomorrow, tomorrow);
    const { url, stderr } = await serve();
    expect(stderr()).not.toContain('Building');
    expect((await get(url, '/')).body).toBe(readFileSync(path.join(uiDir, 'index.html'), 'utf8'));
  }, 60_000);

  it('with --no-build, serves what is there (here: the hint that it is not built)', async () => {
    const empty = path.join(tmp.dir, 'ui-empty');
    mkdirSync(empty);
    const server = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--db', tmp.db, '--no-build'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RW_RENDERER_DIR: empty },
    });
    servers.push(server);
    const url = new URL(await firstLine(server));
    expect((await get(url, '/')).body).toContain('The user interface has not been built yet');
    expect(existsSync(path.join(empty, 'index.html'))).toBe(false);
  }, 60_000);
});
