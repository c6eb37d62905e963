#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into build/electron/better_sqlite3.node, once, from a copy
// of the package in a temporary folder, so node_modules/better-sqlite3/build (the Node build that
// `npm test` and the CLI load) is never touched. Tries a prebuilt binary (prebuild-install), then a
// compile (node-gyp). Both need the network (Electron's headers); without it this says so in one line
// and exits 1, and the app falls back to whatever binding loads.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'build', 'electron');
const outFile = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'better_sqlite3.json');
const readVersion = (pkg) => JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

const electronVersion = readVersion('electron');
const sqliteVersion = readVersion('better-sqlite3');
const wanted = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch };

function upToDate() {
  if (!existsSync(outFile) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return Object.entries(wanted).every(([key, value]) => stamp[key] === value);
  } catch {
    return false;
  }
}

function attempt(label, args, cwd) {
  const result = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 10 * 60_000 });
  const built = path.join(cwd, 'build', 'Release', 'better_sqlite3.node');
  if (result.status === 0 && existsSync(built)) return built;
  const output = `${result.stderr ?? ''}\n${result.stdout ?? ''}`;
  const reason = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|network/i.test(output) ? 'no network' : `exit ${result.status ?? result.signal}`;
  return { label, reason };
}

if (upToDate()) process.exit(0);

const work = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-electron-sqlite-'));
try {
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  cpSync(source, work, { recursive: true, filter: (file) => !file.startsWith(path.join(source, 'build')) });
  const target = [`--target=${electronVersion}`, `--arch=${process.arch}`];
  const failures = [];
  for (const [label, args] of [
    ['prebuild-install', [path.join(root, 'node_modules', 'prebuild-install', 'bin.js'), '--runtime=electron', ...target]],
    ['node-gyp', [path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--release', ...target, '--dist-url=https://electronjs.org/headers']],
  ]) {
    const built = attempt(label, args, work);
    if (typeof built === 'string') {
      mkdirSync(outDir, { recursive: true });
      copyFileSync(built, outFile);
      writeFileSync(stampFile, JSON.stringify(wanted, null, 2) + '\n');
      process.stderr.write(`Built better-sqlite3 for Electron ${electronVersion} with ${label}.\n`);
      break;
    }
    failures.push(`${built.label}: ${built.reason}`);
  }
  if (failures.length === 2) {
    process.stderr.write(`Could not build better-sqlite3 for Electron ${electronVersion} (${failures.join('; ')}); the app will try the Node build, and the CLI and \`serve\` are unaffected.\n`);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
