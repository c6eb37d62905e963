#!/usr/bin/env node
// `npm run build:bundles`, and `npm ci`'s `prepare` step: bundles the app and the CLI into dist/
// (bin/bundle.js). With --if-stale, only when a source is newer than the last build (the test suite's setup).
import { bundleAll, bundlesAreFresh } from './bundle.js';

try {
  if (!(process.argv.includes('--if-stale') && bundlesAreFresh())) await bundleAll();
} catch (error) {
  process.stderr.write(`Could not bundle: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}
