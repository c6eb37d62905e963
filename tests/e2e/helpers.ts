/** What the specs share: the server's address, an API client of our own, the CLI, screenshots. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import type { Page } from '@playwright/test';
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

/** A WorkbenchApi client over the same WebSocket the page uses, to check what was (not) saved. */
export function connectApi(): WsApi {
  const url = serverUrl();
  return createWsApi(url, process.env.RNNWB_E2E_TOKEN ?? '', {
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
