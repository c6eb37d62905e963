// The app's lock on its database, between real processes: a second app on the same database is
// refused with a message naming it, the lock of an app that died is free again, a released lock lets
// the next app in, and of several apps started at the same instant exactly one gets the database.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDatabaseLock, lockHolderFileOf } from '../../main/electron/database-lock.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lockModule = pathToFileURL(path.join(repoRoot, 'main/electron/database-lock.ts')).href;

let dir: string;
let dbPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-lock-'));
  dbPath = path.join(dir, 'workbench.db');
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Another app: takes the lock, says whether it got it, and stays alive until killed. */
function otherApp(): Promise<{ child: ChildProcess; answer: string }> {
  const script = path.join(dir, 'app.mjs');
  writeFileSync(script, `
    const { acquireDatabaseLock } = await import(${JSON.stringify(lockModule)});
    const lock = acquireDatabaseLock(process.argv[2]);
    console.log(lock.held ? 'held' : lock.message);
    setInterval(() => {}, 1000);
  `);
  const child = spawn(process.execPath, ['--import', 'tsx', script, dbPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, answer: out.split('\n')[0] });
    });
    child.once('exit', (code) => reject(new Error(`the other app exited (${code}) before answering`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('the database app lock', () => {
  it('refuses a second app on the same database with a message naming it, and lets a different database open', async () => {
    const first = await otherApp();
    expect(first.answer).toBe('held');
    expect(readFileSync(lockHolderFileOf(dbPath), 'utf8').trim()).toBe(String(first.child.pid));

    const second = acquireDatabaseLock(dbPath);
    expect(second.held).toBe(false);
    if (second.held) return;
    expect(second.ownerPid).toBe(first.child.pid);
    expect(second.message).toContain(dbPath);
    expect(second.message).toMatch(/already open/);

    const elsewhere = acquireDatabaseLock(path.join(dir, 'other.db'));
    expect(elsewhere.held).toBe(true);
    if (elsewhere.held) elsewhere.release();
  });

  it('takes over the lock of an app that died, and hands the database on after a release', async () => {
    const dead = await otherApp();
    dead.child.kill('SIGKILL');
    await exited(dead.child);
    // the dead app's pid file is still there; its lock is not
    expect(readFileSync(lockHolderFileOf(dbPath), 'utf8').trim()).toBe(String(dead.child.pid));

    const mine = acquireDatabaseLock(dbPath);
    expect(mine.held).toBe(true);
    if (!mine.held) return;
    expect(readFileSync(lockHolderFileOf(dbPath), 'utf8').trim()).toBe(String(process.pid));

    // While we hold it, another app is refused; once we release, it gets the database.
    expect((await otherApp()).answer).toMatch(/already open on the database/);
    mine.release();
    expect(existsSync(lockHolderFileOf(dbPath))).toBe(false);
    const next = await otherApp();
    expect(next.answer).toBe('held');
    expect(readFileSync(lockHolderFileOf(dbPath), 'utf8').trim()).toBe(String(next.child.pid));
  });

  it('lets exactly one of several apps started at the same instant have the database, a dead app\'s lock left behind', async () => {
    const dead = await otherApp();
    dead.child.kill('SIGKILL');
    await exited(dead.child);
    const answers = (await Promise.all([otherApp(), otherApp(), otherApp(), otherApp()])).map((app) => app.answer);
    expect(answers.filter((a) => a === 'held')).toHaveLength(1);
    expect(answers.filter((a) => /already open on the database/.test(a))).toHaveLength(3);
  });
});
