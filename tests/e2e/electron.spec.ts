/**
 * A smoke test of the Electron app through Playwright's _electron. The Electron binary is not
 * installed in every environment (it cannot be downloaded here); then the test is skipped with the
 * reason "Electron binary not installed", which counts as NOT RUN, never as passed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, _electron as electron } from '@playwright/test';
import { repoRoot } from './helpers.ts';

function electronBinary(): string | null {
  const pathFile = path.join(repoRoot, 'node_modules/electron/path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(repoRoot, 'node_modules/electron/dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

const binary = electronBinary();
const mainEntry = path.join(repoRoot, 'dist/electron/main.js');

test('Electron smoke: the window opens and lists the views', async () => {
  test.skip(binary === null, 'Electron binary not installed');
  test.skip(!fs.existsSync(mainEntry), 'Electron main process not built (dist/electron/main.js)');
  // Launched on the package folder, as bin/start.js does: Electron reads package.json's "main", and
  // app.getAppPath() is the repository (where dist/renderer lives), not dist/electron.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-electron-e2e-'));
  const app = await electron.launch({
    executablePath: binary!, args: [repoRoot, '--no-sandbox'], cwd: repoRoot,
    env: { ...process.env, RW_DB: path.join(dir, 'workbench.db') },
  });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('nav-corpora')).toBeVisible();
    await expect(window.getByTestId('nav-playground')).toBeVisible();
    // One call through the preload and its MessagePort to the service in the backend process: a pasted corpus is stored and listed.
    await window.getByTestId('nav-corpora').click();
    await window.getByTestId('corpus-paste-name').fill('from electron');
    await window.getByTestId('corpus-paste').fill('abc abc abc abc abc\n');
    await window.getByTestId('corpus-add').click();
    await expect(window.getByTestId('corpus-item').filter({ hasText: 'from electron' })).toHaveCount(1);
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
