// `npm start` where Electron's binary cannot be had (as on this machine and in CI): one line says so, and
// the browser host starts on the database given, serving the built user interface at the printed address.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { finished, repoRoot } from './cli-helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rw-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('falls back to the browser host in one line and serves the workbench at the printed address', async () => {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'start.js'), '--db', path.join(dir, 'workbench.db'), '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No download, and an Electron install that has no binary: the fallback path, whatever this machine has.
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'no-electron') },
  });
  const done = finished(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => /^http:\/\/127\.0\.0\.1:\d+\//.test(l));
      if (line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`start.js exited (${code}) before printing an address`)));
  });
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<title>Recurrent Workbench</title>');
  child.kill('SIGTERM');
  const result = await done;
  const notes = result.stderr.split('\n').filter((l) => /Electron/.test(l));
  expect(notes).toEqual(["Electron's binary is not installed and could not be fetched; starting the browser host instead."]);
}, 180_000);
