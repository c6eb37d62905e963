/**
 * Starts `node bin/rnnwb.js serve --port 0 --db <temp file>` (helpers.ts startServer). The address,
 * token and database path reach the specs through process.env; the returned function stops the server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './helpers.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnwb-e2e-'));
  const db = path.join(dir, 'workbench.db');
  const server = await startServer(db);

  process.env.RNNWB_E2E_URL = server.url;
  process.env.RNNWB_E2E_TOKEN = server.token;
  process.env.RNNWB_E2E_DB = db;

  return async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
