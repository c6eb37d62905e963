/**
 * One app per database. Electron's own single-instance lock is per userData folder, so it cannot tell
 * two apps on different databases (RW_DB) from two on the same one. The lock is SQLite's exclusive
 * lock on a small file next to the database (`<db>.app-lock`), held by a connection that stays open
 * for the app's lifetime: the operating system drops it when the process ends, however it ends, so
 * there is no stale lock to recognise or take over, and two apps starting at the same instant cannot
 * both win. The holder writes its pid beside it (`<db>.app-lock.pid`) only so a refusal can name it.
 * Plain Node (no Electron), so tests load it in real processes.
 */
import BetterSqlite3 from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolveNativeBinding } from '../storage/native-binding.ts';

export type DatabaseLock =
  | { held: true; file: string; release(): void }
  | { held: false; file: string; ownerPid: number | null; message: string };

export function lockFileOf(dbPath: string): string {
  return `${dbPath}.app-lock`;
}

export function lockHolderFileOf(dbPath: string): string {
  return `${lockFileOf(dbPath)}.pid`;
}

/** Takes the database's app lock for this process, or says who holds it. */
export function acquireDatabaseLock(dbPath: string, nativeBinding = resolveNativeBinding()): DatabaseLock {
  const file = lockFileOf(dbPath);
  const holderFile = lockHolderFileOf(dbPath);
  const db = new BetterSqlite3(file, { timeout: 0, ...(nativeBinding ? { nativeBinding } : {}) });
  try {
    // In exclusive locking mode the first write takes the file's exclusive lock and never gives it back
    // until the connection closes; another app's attempt fails at once with SQLITE_BUSY.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid) VALUES (1, ?)').run(process.pid);
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const ownerPid = readHolder(holderFile);
    const who = ownerPid === null ? 'another process' : `pid ${ownerPid}`;
    return {
      held: false, file, ownerPid,
      message: `The workbench is already open on the database "${dbPath}" (${who}). Use that window, or close it first.`,
    };
  }
  writeFileSync(holderFile, `${process.pid}\n`);
  return heldLock(file, holderFile, db);
}

function readHolder(holderFile: string): number | null {
  try {
    const pid = Number(readFileSync(holderFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function heldLock(file: string, holderFile: string, db: BetterSqlite3.Database): DatabaseLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own pid file: never the next holder's.
    if (readHolder(holderFile) === process.pid) rmSync(holderFile, { force: true });
    db.close();
  };
  process.on('exit', release);
  return { held: true, file, release };
}
