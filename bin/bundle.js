// Bundling what runs, with esbuild, into dist/: the desktop app's processes and the `rnnwb` CLI (with
// `serve`), one build for both. Run by `npm ci` (the `prepare` script, bin/build.js), by bin/rnnwb.js when
// the bundles are older than their sources, by `npm start` (bin/start.js), `npm run dist` (bin/dist.js)
// and `npm test` (bin/test-all.js). The user interface is built by main/build/renderer.ts.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What the last build was made from: bundlesAreFresh() reads it (bin/rnnwb.js, before each start). */
export const stampFile = path.join(root, 'dist', 'bundle-stamp.json');

/**
 * True when every bundle exists and no file it was built from has changed since (by modification time:
 * one stat per source, a few milliseconds). A missing stamp, output or source means stale.
 */
export function bundlesAreFresh() {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return stamp.outputs.every((file) => existsSync(path.join(root, file)))
      && stamp.inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= stamp.startedAt);
  } catch {
    return false;
  }
}

/** Bundled CommonJS dependencies call require(); an ES module has none unless it makes one. */
const CJS_REQUIRE = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Bundles every entry (the app's main process, preload, backend and workers; the CLI) and copies the files
 * they read beside them, then writes the stamp. Every file lands whole (written aside, then renamed), so a
 * CLI that starts while another rebuilds never loads half a bundle. Throws with a readable message on failure.
 */
export async function bundleAll() {
  const esbuild = await import('esbuild');
  // Sources changed after this instant count as newer than the build, even if esbuild had already read them.
  const startedAt = Date.now();
  const common = {
    metafile: true,
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: root,
  };
  const results = await Promise.all([
    // The `rnnwb` command (bin/rnnwb.js runs it), `serve` included. Its JavaScript dependencies are bundled
    // too (one file compiles faster than hundreds: it starts in about half the time); better-sqlite3 is native.
    esbuild.build({ ...common, entryPoints: ['main/cli/index.ts'], outfile: 'dist/cli/rnnwb.js', format: 'esm', external: ['better-sqlite3'], banner: { js: CJS_REQUIRE } }),
    // ESM like the sources; dependencies stay in node_modules (the packaged app ships them).
    esbuild.build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/electron/main.js', format: 'esm', packages: 'external', external: ['electron'] }),
    esbuild.build({ ...common, entryPoints: ['engine/worker.ts'], outfile: 'dist/engine/worker.js', format: 'esm', packages: 'external' }),
    // Inspect's long traces and n-gram baselines: beside the worker, where the backend looks for it.
    esbuild.build({ ...common, entryPoints: ['engine/inspect-worker.ts'], outfile: 'dist/engine/inspect-worker.js', format: 'esm', packages: 'external' }),
    // The backend process (the service, in a utility process) and its query worker threads.
    esbuild.build({ ...common, entryPoints: ['main/backend/entry.ts'], outfile: 'dist/backend/entry.js', format: 'esm', packages: 'external' }),
    esbuild.build({ ...common, entryPoints: ['main/api/query-worker.ts'], outfile: 'dist/backend/query-worker.js', format: 'esm', packages: 'external' }),
    // A sandboxed preload can only be one CommonJS file that requires nothing but 'electron'.
    esbuild.build({ ...common, entryPoints: ['main/electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] }),
  ]);
  const outputs = results.flatMap((result) => result.outputFiles);
  for (const file of outputs) putFile(file.path, file.contents);
  const inputs = new Set(results.flatMap((result) => Object.keys(result.metafile.inputs)));
  for (const copied of [...copyWasmKernels(), ...copySampleCorpora()]) inputs.add(copied);
  inputs.add('bin/bundle.js');
  const relative = (file) => path.relative(root, file).split(path.sep).join('/');
  putFile(stampFile, JSON.stringify({ startedAt, inputs: [...inputs].sort(), outputs: outputs.map((file) => relative(file.path)) }, null, 1) + '\n');
}

/** Writes a whole file: beside its place first, then renamed over it. */
function putFile(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, file);
}

/** Copies each file of `fromDir` that `keep` accepts into each of `toDirs`; returns the sources (relative to root). */
function copyInto(fromDir, toDirs, keep = () => true) {
  const from = path.join(root, fromDir);
  if (!existsSync(from)) return [];
  const files = readdirSync(from).filter(keep);
  for (const file of files) {
    const bytes = readFileSync(path.join(from, file));
    for (const to of toDirs) putFile(path.join(root, to, file), bytes);
  }
  return files.map((file) => `${fromDir}/${file}`);
}

/** The bundled sample corpora: main/samples/index.ts reads `./corpora/<file>` relative to its module, a bundle in dist/backend/ or dist/cli/. */
function copySampleCorpora() {
  return copyInto('main/samples/corpora', ['dist/backend/corpora', 'dist/cli/corpora']);
}

/**
 * The WebAssembly kernels load `./build/<file>.wasm` relative to their module. The bundles that hold
 * them: dist/engine/worker.js (training), those in dist/backend/ and dist/cli/rnnwb.js (the playground's
 * inference), so dist/engine/build/, dist/backend/build/ and dist/cli/build/ get the files.
 */
function copyWasmKernels() {
  return copyInto('engine/kernels/wasm/build', ['dist/engine/build', 'dist/backend/build', 'dist/cli/build'], (file) => file.endsWith('.wasm'));
}
