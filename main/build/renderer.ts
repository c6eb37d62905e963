/**
 * Building the user interface when it is missing or older than its sources: `rnnwb serve` does it before
 * serving, `npm start` and `npm run dist` (bin/) before starting or packaging the app. dist/ is not in git,
 * so a fresh clone has no UI until this runs. Vite does the work, in a child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RENDERER_DIR } from '../transport/built-ui.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What the page is built from: the renderer's own sources, and what it imports from outside renderer/
 * (the API's types and errors, the browser host's client, the engine's config and protocol).
 */
const SOURCES = ['renderer', 'main/api', 'main/transport', 'main/errors.ts', 'engine/config.ts', 'engine/protocol.ts'];

/** The newest modification time of a file, or of the files under a folder (0 when there is none). */
function newestMtime(file: string): number {
  if (!existsSync(file)) return 0;
  const info = statSync(file);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(file, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(file, entry.name)));
  }
  return newest;
}

/** True when the build in `outDir` is missing or older than its sources. */
export function rendererIsStale(outDir: string = DEFAULT_RENDERER_DIR): boolean {
  const builtPage = path.join(outDir, 'index.html');
  if (!existsSync(builtPage)) return true;
  const sources = Math.max(...SOURCES.map((source) => newestMtime(path.join(REPO_ROOT, source))));
  return sources > statSync(builtPage).mtimeMs;
}

/**
 * Builds the renderer into `outDir` when needed, saying so in one line on stderr; returns false (after
 * one more line) when the build failed. The build empties `outDir` first: it must be a folder of its own.
 */
export function buildRendererIfStale(outDir: string = DEFAULT_RENDERER_DIR): boolean {
  if (!rendererIsStale(outDir)) return true;
  const config = path.join(REPO_ROOT, 'renderer', 'vite.config.ts');
  if (!existsSync(config)) {
    process.stderr.write('The renderer has no vite.config.ts yet; skipping its build.\n');
    return false;
  }
  process.stderr.write('Building the user interface (vite build)…\n');
  // Errors only: Vite's warnings (chunk sizes, plugin timings) are for whoever works on the renderer.
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', config, '--outDir', path.resolve(outDir), '--logLevel', 'error'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('The user interface did not build (see above); the page will say so.\n');
    return false;
  }
  return true;
}
