#!/usr/bin/env node
// The `rnnwb` command. Plain JavaScript so it runs after a plain `npm ci`: it registers tsx, then loads
// the TypeScript CLI (main/cli/index.ts) and exits with the code it returns.
import { register } from 'tsx/esm/api';

register();
try {
  const { main } = await import('../main/cli/index.ts');
  process.exit(await main(process.argv));
} catch (error) {
  // Only reached when the CLI itself could not load or crashed outside a command: still one line.
  process.stderr.write(`rnnwb: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}
