#!/usr/bin/env node
// The `rnnwb` command. Plain JavaScript so it runs after a plain `npm ci`. It runs the bundled CLI
// (dist/cli/rnnwb.js, built by bin/bundle.js at `npm ci` and again here whenever a source is newer than
// the build), which starts in a fraction of the time TypeScript through tsx takes. RNNWB_FROM_SOURCE=1
// runs main/cli/index.ts through tsx instead (development); so does a rebuild that fails, saying so.
import { bundleAll, bundlesAreFresh } from './bundle.js';

/** The first line of an error, for a one-line message. */
const firstLine = (error) => (error instanceof Error ? error.message.split('\n')[0] : String(error));

/** The CLI's entry: the bundle when it is (or can be made) current, else the sources through tsx. */
async function loadCli() {
  if (process.env.RNNWB_FROM_SOURCE !== '1') {
    try {
      if (!bundlesAreFresh()) {
        // A person at a terminal hears why this start is slower; scripts and tests get clean stderr.
        if (process.stderr.isTTY) process.stderr.write('rnnwb: sources changed since the last build; rebuilding dist/…\n');
        await bundleAll();
      }
      return await import('../dist/cli/rnnwb.js');
    } catch (error) {
      process.stderr.write(`rnnwb: could not build or load the bundle (${firstLine(error)}); running from sources.\n`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../main/cli/index.ts');
}

try {
  const { main } = await loadCli();
  process.exit(await main(process.argv));
} catch (error) {
  // Only reached when the CLI itself could not load or crashed outside a command: still one line.
  process.stderr.write(`rnnwb: ${firstLine(error)}\n`);
  process.exit(1);
}
