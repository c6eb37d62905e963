/**
 * Starts `node bin/rnnwb.js serve --port 0 --db <temp file>` (which builds the renderer first when it is
 * missing or older than its sources) and reads the address it prints. The address,
 * token and database path reach the specs through process.env; the returned function stops the server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnwb-e2e-'));
  const db = path.join(dir, 'workbench.db');
  const server = spawn(process.execPath, [path.join(repoRoot, 'bin/rnnwb.js'), 'serve', '--port', '0', '--db', db], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`rnnwb serve printed no address within 60 s.\n${stderr}`)), 60_000);
    server.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rnnwb serve exited with code ${code} before printing its address.\n${stderr}`));
    });
  });

  process.env.RNNWB_E2E_URL = url;
  process.env.RNNWB_E2E_TOKEN = new URL(url).searchParams.get('token') ?? '';
  process.env.RNNWB_E2E_DB = db;

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timeout = new Promise((resolve) => setTimeout(resolve, 15_000));
      await Promise.race([exited, timeout]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
