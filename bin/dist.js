#!/usr/bin/env node
// `npm run dist`: build the renderer and the bundles, then package the app with electron-builder
// using electron.config.ts (loaded through tsx). Targets come from the config for this platform;
// extra arguments are passed as electron-builder CLI targets (e.g. `npm run dist -- --linux deb`).
import { register } from 'tsx/esm/api';
import { buildRendererIfStale, bundleElectron } from './bundle.js';

register();
const { default: config } = await import('../electron.config.ts');
const builder = await import('electron-builder');

if (!buildRendererIfStale()) process.exit(1);
await bundleElectron();
try {
  const args = process.argv.slice(2);
  const platforms = { '--linux': 'LINUX', '--mac': 'MAC', '--win': 'WINDOWS' };
  const chosen = args.filter((a) => a in platforms).map((a) => builder.Platform[platforms[a]]);
  const targets = chosen.length ? builder.createTargets(chosen) : undefined;
  const artifacts = await builder.build({ config, targets, publish: 'never' });
  for (const file of artifacts) process.stdout.write(`${file}\n`);
} catch (error) {
  process.stderr.write(`Packaging failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}
