/**
 * A folder that truly cannot be written, for root too (whom chmod does not stop): a small tmpfs,
 * filled while writable, then remounted read-only. Where mounting is not allowed (not root, a container
 * without the capability) the tests that need it fail with that sentence: they are never skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ReadOnlyFolder {
  dir: string;
  /** Makes the folder read-only (after the test has put its files in it). */
  freeze(): void;
  /** Unmounts and removes the mount point. */
  remove(): void;
}

export function mountScratchFolder(prefix: string): ReadOnlyFolder {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Cannot mount a tmpfs at ${dir} (${(error as Error).message.split('\n')[0]}): these tests need root, as CI has.`);
  }
  return {
    dir,
    freeze: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' }),
    remove: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
