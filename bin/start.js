#!/usr/bin/env node
// `npm start`: build the user interface when it is missing or stale, then run the desktop app when
// Electron's binary is installed, or else the browser host (the same as `rnnwb serve`), printing its
// address. Extra arguments go to the app or to `serve` (e.g. --db FILE, --port N).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { register } from 'tsx/esm/api';
import { bundleAll, root } from './bundle.js';

/**
 * The Electron executable, or null when it is not installed. Read from the electron package's
 * path.txt rather than `require('electron')`, which starts a download when the binary is missing.
 */
function electronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(pkg, 'dist');
  const binary = path.join(dist, relative);
  return existsSync(binary) ? binary : null;
}

/**
 * Electron's own installer, run here rather than at `npm ci` (package.json's allowScripts denies it) so
 * that an install never fails on a machine that cannot download the binary. Quiet; fails fast offline.
 */
function downloadElectron() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return;
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return;
  spawnSync(process.execPath, [installer], { cwd: root, stdio: 'ignore', timeout: 300_000 });
}

const args = process.argv.slice(2);
// The build logic is main's (main/build/renderer.ts, shared with `rnnwb serve`), in TypeScript: tsx loads it.
register();
const { buildRendererIfStale } = await import('../main/build/renderer.ts');
buildRendererIfStale();

if (!electronBinary()) downloadElectron();
const electron = electronBinary();
if (electron) {
  try {
    await bundleAll();
  } catch (error) {
    process.stderr.write(`Could not bundle the app: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exit(1);
  }
  // The Electron build of better-sqlite3 (once); on failure it says why in one line and we go on.
  spawnSync(process.execPath, [path.join(root, 'bin', 'prepare-electron.js')], { cwd: root, stdio: 'inherit' });
  const dbIndex = args.indexOf('--db');
  const env = { ...process.env, ...(dbIndex >= 0 && args[dbIndex + 1] ? { RW_DB: path.resolve(args[dbIndex + 1]) } : {}) };
  const child = spawn(electron, [root], { cwd: root, stdio: 'inherit', env });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.stderr.write("Electron's binary is not installed and could not be fetched; starting the browser host instead.\n");
  const child = spawn(process.execPath, [path.join(root, 'bin', 'rnnwb.js'), 'serve', ...args], { cwd: root, stdio: 'inherit' });
  // Ctrl-C reaches the child too (same process group); wait for it to pause its runs and exit.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
