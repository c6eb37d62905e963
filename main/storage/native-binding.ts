/**
 * better-sqlite3 is a native module compiled for one runtime ABI. Tests and the CLI run under Node and
 * use the default build in node_modules; the Electron app needs a build for Electron's ABI, kept
 * beside it at build/electron/better_sqlite3.node so both can live in one checkout.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Electron build of the binding when running under Electron and it exists; else undefined (the default Node build). */
export function resolveNativeBinding(
  root: string = repoRoot,
  versions: NodeJS.ProcessVersions = process.versions,
): string | undefined {
  if (!versions.electron) return undefined;
  const candidate = path.join(root, 'build', 'electron', 'better_sqlite3.node');
  // A packaged app cannot dlopen from inside app.asar; electron-builder unpacks native files beside it.
  const unpacked = candidate.replace(`${path.sep}app.asar${path.sep}`, `${path.sep}app.asar.unpacked${path.sep}`);
  for (const file of [unpacked, candidate]) if (existsSync(file)) return file;
  return undefined;
}
