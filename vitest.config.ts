import { defineConfig } from 'vitest/config';

// Unit and integration tests; the end-to-end suite runs under Playwright (tests/e2e).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The CLI the tests spawn runs from dist/ (bin/rnnwb.js): built once here when stale.
    globalSetup: ['tests/bundle-setup.ts'],
  },
});
