/** What the specs share: the server's address, an API client of our own, the CLI, screenshots. */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import type { Browser, Page } from '@playwright/test';
import { createWsApi, type WsApi } from '../../main/transport/ws-client.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const seedCorpusPath = path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt');
export const screenshotDir = path.join(repoRoot, 'test-results/screenshots');

export function serverUrl(): string {
  const url = process.env.RNNWB_E2E_URL;
  if (!url) throw new Error('RNNWB_E2E_URL is not set: run the specs through tests/e2e/playwright.config.ts.');
  return url;
}

export function databasePath(): string {
  return process.env.RNNWB_E2E_DB ?? '';
}

export interface Server {
  /** The page's address, http://127.0.0.1:PORT/?token=T. */
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/rnnwb.js serve --port 0 --db DB` (which builds the renderer first when it is missing
 * or older than its sources) and reads the address it prints.
 */
export async function startServer(db: string): Promise<Server> {
  const server = spawn(process.execPath, [path.join(repoRoot, 'bin/rnnwb.js'), 'serve', '--port', '0', '--db', db], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`rnnwb serve printed no address within 60 s.\n${stderr}`)), 60_000);
    server.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rnnwb serve exited with code ${code} before printing its address.\n${stderr}`));
    });
  });

  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(resolve, 15_000));
    await Promise.race([exited, timeout]);
    if (server.exitCode === null) server.kill('SIGKILL');
  };
  return { url, token: new URL(url).searchParams.get('token') ?? '', stop };
}

/** A spec's own workbench: an `rnnwb serve` on an empty database in a temporary folder, and an API client. */
export interface FreshWorkbench {
  dir: string;
  server: Server;
  api: WsApi;
  /** Closes the client, stops the server and removes the folder. */
  close(): Promise<void>;
}

/** `env` is set for the server process only (it inherits this process's environment when it starts). */
export async function freshWorkbench(prefix: string, env: Record<string, string> = {}): Promise<FreshWorkbench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let server: Server;
  try {
    server = await startServer(path.join(dir, 'workbench.db'));
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const api = connectApi(server);
  return {
    dir, server, api,
    async close() {
      api.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh workbench whose server uses Debian's python with PyTorch, the seed corpus stored, and a page open on it. */
export interface PyTorchWorkbenchPage extends FreshWorkbench {
  page: Page;
}

export async function openPyTorchWorkbench(browser: Browser, prefix: string): Promise<PyTorchWorkbenchPage> {
  const workbench = await freshWorkbench(prefix, { RNNWB_PYTHON: '/usr/bin/python3' });
  await workbench.api.addCorpus({ name: 'hello', text: fs.readFileSync(seedCorpusPath, 'utf8') });
  const page = await browser.newPage({ locale: 'en-US' });
  await page.goto(workbench.server.url);
  return {
    ...workbench,
    page,
    async close() {
      await page.close();
      await workbench.close();
    },
  };
}

/** A WorkbenchApi client over the same WebSocket the page uses, to check what was (not) saved. */
export function connectApi(server: { url: string; token: string } = { url: serverUrl(), token: process.env.RNNWB_E2E_TOKEN ?? '' }): WsApi {
  return createWsApi(server.url, server.token, {
    WebSocket: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
  });
}

/** Runs `node bin/rnnwb.js ARGS` and returns its stdout. */
export async function cli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/rnnwb.js'), ...args], {
    cwd: repoRoot,
    timeout: 60_000,
  });
  return stdout;
}

export async function screenshot(page: Page, view: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${view}.png`), fullPage: true });
}
