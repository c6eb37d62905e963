// Building what the desktop app runs, shared by `npm start` (bin/start.js), `npm run dist`
// (bin/dist.js) and `rnnwb serve` (main/cli/commands/serve.ts): the renderer with Vite when it is
// missing or older than its sources, and the main process, preload and engine worker bundled with
// esbuild (it ships with Vite) into dist/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the built renderer goes unless told otherwise (what the app and `serve` load). */
export const defaultRendererDir = path.join(root, 'dist', 'renderer');

/** The newest modification time of the files under `dir` (0 when there is none). */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the build in `outDir` is missing or older than renderer/ (or the API files it imports). */
export function rendererIsStale(outDir = defaultRendererDir) {
  const builtPage = path.join(outDir, 'index.html');
  if (!existsSync(builtPage)) return true;
  const built = statSync(builtPage).mtimeMs;
  // The renderer's own sources and what it imports from outside renderer/ (the API types, the transport, the engine's config).
  const sources = Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'main', 'api')), newestMtime(path.join(root, 'main', 'transport')),
    statSync(path.join(root, 'engine', 'config.ts')).mtimeMs, statSync(path.join(root, 'engine', 'protocol.ts')).mtimeMs);
  return sources > built;
}

/**
 * Builds the renderer into `outDir` when needed, saying so in one line on stderr; returns false (after
 * one more line) when the build failed. The build empties `outDir` first: it must be a folder of its own.
 */
export function buildRendererIfStale(outDir = defaultRendererDir) {
  if (!rendererIsStale(outDir)) return true;
  const config = path.join(root, 'renderer', 'vite.config.ts');
  if (!existsSync(config)) {
    process.stderr.write('The renderer has no vite.config.ts yet; skipping its build.\n');
    return false;
  }
  process.stderr.write('Building the user interface (vite build)…\n');
  // Errors only: Vite's warnings (chunk sizes, plugin timings) are for whoever works on the renderer.
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', config, '--outDir', path.resolve(outDir), '--logLevel', 'error'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('The user interface did not build (see above); the page will say so.\n');
    return false;
  }
  return true;
}

/** Bundles main, preload and the engine worker for Electron. Throws with a readable message on failure. */
export async function bundleElectron() {
  const esbuild = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
  };
  await Promise.all([
    // ESM like the sources; dependencies stay in node_modules (the packaged app ships them).
    esbuild.build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/electron/main.js', format: 'esm', packages: 'external', external: ['electron'] }),
    esbuild.build({ ...common, entryPoints: ['engine/worker.ts'], outfile: 'dist/engine/worker.js', format: 'esm', packages: 'external' }),
    // A sandboxed preload can only be one CommonJS file that requires nothing but 'electron'.
    esbuild.build({ ...common, entryPoints: ['main/electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] }),
  ]);
  copyWasmKernels();
}

/**
 * The WebAssembly kernels load `./build/<file>.wasm` relative to their module. Two bundles hold them:
 * dist/engine/worker.js (training) and dist/electron/main.js (the playground's inference), so both
 * dist/engine/build/ and dist/electron/build/ get the files.
 */
function copyWasmKernels() {
  const from = path.join(root, 'engine', 'kernels', 'wasm', 'build');
  if (!existsSync(from)) return;
  for (const bundle of ['engine', 'electron']) {
    const to = path.join(root, 'dist', bundle, 'build');
    mkdirSync(to, { recursive: true });
    for (const file of readdirSync(from)) if (file.endsWith('.wasm')) copyFileSync(path.join(from, file), path.join(to, file));
  }
}
