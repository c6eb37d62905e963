/** The walk over a dropped folder, on a fake entry tree shaped like the browser's FileSystemEntry API. */
import { describe, expect, it } from 'vitest';
import { droppedFolder, importedByRun, isProjectFolder, readDroppedFolder, type DroppedDirectoryEntry, type DroppedEntry, type DroppedFileEntry } from '../../renderer/src/lib/dropped-folder.ts';

const file = (name: string, text: string): DroppedFileEntry => ({
  name, isFile: true, isDirectory: false,
  file: (success) => setTimeout(() => success(new Blob([text])), 0),
});

/** readEntries answers `batch` entries at a time, then an empty list, as Chromium does (100 at a time). */
function folder(name: string, children: DroppedEntry[], batch = 2): DroppedDirectoryEntry & { reads: number } {
  const dir = {
    name, isFile: false, isDirectory: true, reads: 0,
    createReader: () => {
      let next = 0;
      return {
        readEntries: (success: (entries: DroppedEntry[]) => void) => {
          dir.reads++;
          const slice = children.slice(next, next + batch);
          next += slice.length;
          setTimeout(() => success(slice), 0);
        },
      };
    },
  };
  return dir;
}

describe('a dropped folder', () => {
  it('reads every file below it, in batches until an empty one, with paths relative to it', async () => {
    const checkpoints = folder('checkpoints', [file('step-000000005.ckpt', 'five'), file('step-000000010.ckpt', 'ten'), file('step-000000015.ckpt', 'fifteen')]);
    const root = folder('my-project', [
      file('job.json', '{}'), file('events.jsonl', 'lines\n'), file('.DS_Store', 'litter'),
      checkpoints, folder('trainer', [file('main.py', 'print()')]),
    ]);
    const counted: number[] = [];
    const files = await readDroppedFolder(root, (n) => counted.push(n));
    expect(files.map((f) => [f.path, new TextDecoder().decode(f.bytes)])).toEqual([
      ['job.json', '{}'], ['events.jsonl', 'lines\n'],
      ['checkpoints/step-000000005.ckpt', 'five'], ['checkpoints/step-000000010.ckpt', 'ten'], ['checkpoints/step-000000015.ckpt', 'fifteen'],
      ['trainer/main.py', 'print()'],
    ]);
    expect(counted).toEqual([1, 2, 3, 4, 5, 6]);
    expect(root.reads).toBe(4); // 5 entries by 2: 2 + 2 + 1, then the empty answer
    expect(checkpoints.reads).toBe(3);
    expect(isProjectFolder(files)).toBe(true);
    // What the import reads, and nothing else (no corpus, trainer or start checkpoint to send).
    const sent = await readDroppedFolder(root, undefined, importedByRun);
    expect(sent.map((f) => f.path)).toEqual(['job.json', 'events.jsonl', 'checkpoints/step-000000005.ckpt', 'checkpoints/step-000000010.ckpt', 'checkpoints/step-000000015.ckpt']);
    expect(isProjectFolder(files.filter((f) => f.path !== 'job.json'))).toBe(false);
  });

  it('is one folder: a file, several things or nothing is not', () => {
    const dir = folder('p', []);
    expect(droppedFolder([dir])).toBe(dir);
    expect(droppedFolder([file('job.json', '{}')])).toBe('not-a-folder');
    expect(droppedFolder([dir, folder('q', [])])).toBe('not-a-folder');
    expect(droppedFolder([])).toBe('not-a-folder');
    expect(droppedFolder([null])).toBe('not-a-folder');
  });

  it('passes on a read that fails', async () => {
    const broken: DroppedDirectoryEntry = {
      name: 'p', isFile: false, isDirectory: true,
      createReader: () => ({ readEntries: (_ok, failure) => failure?.(new Error('NotReadableError')) }),
    };
    await expect(readDroppedFolder(broken)).rejects.toThrow('NotReadableError');
  });
});
