/** Running the real `rnnwb` binary in a child process against a temporary database. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createWsApi, type WsApi } from '../../main/transport/ws-client.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'bin', 'rnnwb.js');
export const seedCorpus = path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `ownProcessGroup`: the CLI leads a new process group, so a test can signal it as a terminal would. */
export function startCli(args: string[], options: { ownProcessGroup?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runCli(args: string[]): Promise<CliResult> {
  return finished(startCli(args));
}

/** Parses stdout as JSON lines, failing loudly on any line that is not JSON. */
export function jsonLines(stdout: string): Record<string, any>[] {
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => {
    try {
      return JSON.parse(line) as Record<string, any>;
    } catch {
      throw new Error(`stdout line is not JSON: ${line}`);
    }
  });
}

export function tempDir(prefix: string): { dir: string; db: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, db: path.join(dir, 'workbench.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves with the first stdout line of a running child. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer | string) => {
      buffer += String(chunk);
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        child.stdout?.off('data', onData);
        resolve(buffer.slice(0, newline));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the process exited (code ${code}) before printing a line`)));
  });
}

/** The pid of the engine process a CLI process started, once it exists (its own child: other tests' engines do not count). */
export async function engineOf(cliPid: number): Promise<number> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const pids = execFileSync('pgrep', ['-P', String(cliPid), '-f', 'engine/worker'], { encoding: 'utf8' }).trim().split('\n');
      if (pids.length === 1 && pids[0] !== '') return Number(pids[0]);
    } catch {
      // pgrep exits 1 while there is no such process yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`No engine process under the CLI (pid ${cliPid}) after a minute.`);
}

/** True once a process has ended; an exited one its new parent has not reaped yet (a zombie) counts as ended. */
export function hasEnded(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

export interface ServeProcess {
  process: ChildProcess;
  /** The one line `serve` prints: http://127.0.0.1:PORT/?token=T */
  url: URL;
  /** A WebSocket client of this server (closed by stop()). */
  connect(): WsApi;
  /** Closes the clients, then ends `serve` with SIGINT as a person would, and waits for it. */
  stop(): Promise<void>;
}

/** A real `rnnwb serve` on `db` (--no-build: never rebuild the shared dist/renderer under the e2e suite). */
export async function startServe(db: string): Promise<ServeProcess> {
  const child = startCli(['serve', '--port', '0', '--db', db, '--no-build']);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const line = await firstLine(child).catch((error: Error) => {
    throw new Error(`${error.message}: ${stderr}`);
  });
  const url = new URL(line);
  const clients: WsApi[] = [];
  return {
    process: child,
    url,
    connect() {
      const client = createWsApi(url.toString(), url.searchParams.get('token')!, { WebSocket: WebSocket as unknown as new (u: string) => globalThis.WebSocket });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
