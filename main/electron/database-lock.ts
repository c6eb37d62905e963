/**
 * One app per database: a lock file next to the database (`<db>.app-lock`) holding the pid of the app
 * that has it open. Electron's own single-instance lock is per userData folder, so it cannot tell two
 * apps on different databases (RW_DB) from two on the same one. A lock whose pid is dead, or reused by
 * a process that started after the lock was written, is stale and taken over. Plain Node (no Electron),
 * so tests load it in real processes.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isPidAlive, processStartMs } from '../storage/owner-liveness.ts';

export type DatabaseLock =
  | { held: true; file: string; release(): void }
  | { held: false; file: string; ownerPid: number; message: string };

export function lockFileOf(dbPath: string): string {
  return `${dbPath}.app-lock`;
}

/** Takes the database's app lock for this process, or says who holds it. */
export function acquireDatabaseLock(dbPath: string): DatabaseLock {
  const file = lockFileOf(dbPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file)) return heldLock(file);
    const ownerPid = liveHolderOf(file);
    if (ownerPid !== null && ownerPid !== process.pid) {
      return {
        held: false, file, ownerPid,
        message: `The workbench is already open on the database "${dbPath}" (pid ${ownerPid}). Use that window, or close it first.`,
      };
    }
    // Stale (its app died) or ours from before: remove it and try again. Two apps taking over the same
    // stale lock at the same instant could both win; a human starting apps never gets that close.
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`Could not take the lock file "${file}" of the database.`);
}

function createExclusive(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid in the lock file if that process is still the one that wrote it; null when the lock is stale. */
function liveHolderOf(file: string): number | null {
  let text: string;
  let writtenMs: number;
  try {
    text = readFileSync(file, 'utf8');
    writtenMs = statSync(file).mtimeMs;
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isPidAlive(pid)) return null;
  const started = processStartMs(pid);
  // Whole-second boot time in /proc: allow for it before calling the pid reused.
  if (started !== null && started > writtenMs + 2000) return null;
  return pid;
}

function heldLock(file: string): DatabaseLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only our own lock: never one another app took over in the meantime.
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { held: true, file, release };
}
