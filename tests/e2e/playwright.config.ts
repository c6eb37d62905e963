/**
 * End-to-end tests of the workbench UI in Debian's Chromium against a real `rnnwb serve` (started by
 * global-setup.ts on a temporary database). No browser is ever downloaded.
 */
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** Chromium runs as root in a closed network: no sandbox, and none of its background chatter. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: here,
  testMatch: /.*\.spec\.ts$/,
  globalSetup: path.join(here, 'global-setup.ts'),
  outputDir: path.join(repoRoot, 'test-results/playwright'),
  timeout: 900_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
