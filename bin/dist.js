#!/usr/bin/env node
// `npm run dist`: build the renderer and the bundles, then package the app with electron-builder
// using electron.config.ts (loaded through tsx). Targets come from the config for this platform, or
// from flags: `npm run dist -- --linux`, `--mac`, `--win`.
//
// electron-builder rebuilds native modules for Electron *inside node_modules* (npmRebuild), which
// would leave `npm test` and the CLI without their Node build of better-sqlite3. So that build is
// copied aside first and always put back afterwards, whether packaging worked, failed or was interrupted.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';
import { bundleAll, root } from './bundle.js';

const nativeBuild = path.join(root, 'node_modules', 'better-sqlite3', 'build');
const saved = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-dist-native-'));
const savedBuild = path.join(saved, 'build');
if (existsSync(nativeBuild)) cpSync(nativeBuild, savedBuild, { recursive: true });

let restored = false;
function restoreNodeBuild() {
  if (restored) return;
  restored = true;
  if (existsSync(savedBuild)) {
    rmSync(nativeBuild, { recursive: true, force: true });
    cpSync(savedBuild, nativeBuild, { recursive: true });
  }
  rmSync(saved, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    restoreNodeBuild();
    process.exit(130);
  });
}

try {
  register();
  const { default: config } = await import('../electron.config.ts');
  const { buildRendererIfStale } = await import('../main/build/renderer.ts');
  const builder = await import('electron-builder');
  if (!buildRendererIfStale()) throw new Error('the user interface did not build');
  await bundleAll();
  const platforms = { '--linux': 'LINUX', '--mac': 'MAC', '--win': 'WINDOWS' };
  const chosen = process.argv.slice(2).filter((a) => a in platforms).map((a) => builder.Platform[platforms[a]]);
  const targets = chosen.length ? builder.createTargets(chosen) : undefined;
  const artifacts = await builder.build({ config, targets, publish: 'never' });
  for (const file of artifacts) process.stdout.write(`${file}\n`);
} catch (error) {
  process.stderr.write(`Packaging failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exitCode = 1;
} finally {
  restoreNodeBuild();
}
