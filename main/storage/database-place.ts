/**
 * What lies at a database path, found out before SQLite touches it, so each wrong path gets its own
 * true sentence: a folder given as the file, a file given as a folder, a folder that cannot be written,
 * a file that is not there yet. Also how the file is journaled, which decides how it can be read
 * without leaving anything behind (see database.ts).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { StorageError } from './errors.ts';

export interface DatabasePlace {
  /** The path as given (messages quote it as the person wrote it). */
  file: string;
  /** 'missing' and 'empty' (0 bytes) both mean: nothing stored yet. */
  state: 'missing' | 'empty' | 'present';
  bytes: number;
  /** Whether SQLite may write the file and create its -wal/-shm/-journal beside it. */
  writable: boolean;
  /** The nearest existing folder: the file's own, or the one its missing folders would be made in. */
  folder: string;
  /** The header says WAL mode (byte 18 is 2); then a reader needs a -shm file beside the database. */
  walMode: boolean;
  /** A -wal or -journal file is there: another connection is using the file, or one crashed. */
  hasSideFiles: boolean;
}

export function examineDatabasePath(file: string): DatabasePlace {
  const stats = statOrNull(file);
  if (stats?.isDirectory()) {
    throw new StorageError(`"${file}" is a folder, not a database file. Give the path of a file in it, e.g. "${path.join(file, 'workbench.db')}".`);
  }
  if (stats && !stats.isFile()) throw new StorageError(`"${file}" is not a regular file, so it cannot be a database.`);
  const folder = nearestExistingFolder(file);
  if (!stats) return { file, state: 'missing', bytes: 0, writable: isWritable(folder), folder, walMode: false, hasSideFiles: false };
  return {
    file,
    state: stats.size === 0 ? 'empty' : 'present',
    bytes: stats.size,
    writable: isWritable(folder) && isWritable(file),
    folder,
    walMode: headerByte(file, 18) === 2,
    hasSideFiles: existsSync(`${file}-wal`) || existsSync(`${file}-journal`),
  };
}

/** The sentence for a write refused because the file or its folder cannot be written. */
export function notWritable(place: DatabasePlace): StorageError {
  if (place.state === 'missing') {
    return new StorageError(`Cannot create the database "${place.file}": the folder "${place.folder}" is not writable.`);
  }
  const what = isWritable(place.folder) ? `the file "${place.file}"` : `the folder "${place.folder}"`;
  return new StorageError(`The database "${place.file}" can only be read: ${what} is not writable, so Recurrent Workbench cannot change it.`);
}

/**
 * Walks up from the file to the first path that exists; it must be a folder. A file on the way
 * ("notes.txt/x.db") is named, rather than left to mkdir's EEXIST or ENOTDIR.
 */
function nearestExistingFolder(file: string): string {
  let current = path.dirname(file);
  for (;;) {
    const stats = statOrNull(current);
    if (stats) {
      if (stats.isDirectory()) return current;
      throw new StorageError(`"${current}" is a file, not a folder, so the database "${file}" cannot be made under it. Choose another path.`);
    }
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // A file on the way makes stat fail with ENOTDIR: nearestExistingFolder names it.
    if (code === 'ENOTDIR') return null;
    throw new StorageError(`Cannot look at "${file}": ${(error as Error).message}`);
  }
}

/** W_OK answers EROFS on a read-only mount even for root, whom permission bits do not stop. */
function isWritable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function headerByte(file: string, offset: number): number | null {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1);
    return readSync(fd, buffer, 0, 1, offset) === 1 ? buffer[0] : null;
  } finally {
    closeSync(fd);
  }
}
