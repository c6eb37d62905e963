// vitest's global setup: bring the bundles in dist/ up to date once, before any test file runs, so the
// tests that spawn `rnnwb` (bin/rnnwb.js runs dist/cli/rnnwb.js) do not each find them stale and rebuild.
// A build that fails (a source that does not parse) stops nothing here: bin/build.js has said why in one
// line, and the tests that spawn the CLI will show its fallback to the sources.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  spawnSync(process.execPath, [path.join(root, 'bin', 'build.js'), '--if-stale'], { cwd: root, stdio: 'inherit' });
}
