/**
 * A folder dropped on the page, read into its files: the shape of the browser's FileSystemEntry API,
 * narrowed to what the walk uses, so a test can hand it a fake tree.
 */
export interface DroppedEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}
export interface DroppedFileEntry extends DroppedEntry {
  file(success: (file: Blob) => void, failure?: (error: unknown) => void): void;
}
export interface DroppedDirectoryEntry extends DroppedEntry {
  createReader(): { readEntries(success: (entries: DroppedEntry[]) => void, failure?: (error: unknown) => void): void };
}

export interface DroppedFile {
  /** Relative to the dropped folder, '/'-separated. */
  path: string;
  bytes: Uint8Array;
}

/** What a drop carries: its one folder, or why it is not one (a file, several things, nothing). */
export function droppedFolder(entries: (DroppedEntry | null)[]): DroppedDirectoryEntry | 'not-a-folder' {
  const present = entries.filter((e): e is DroppedEntry => e !== null);
  return present.length === 1 && present[0].isDirectory ? (present[0] as DroppedDirectoryEntry) : 'not-a-folder';
}

/**
 * Every file under `folder` that `keep` wants, with paths relative to it. readEntries answers in batches
 * (Chromium: 100 at a time), so it is called until it answers an empty batch. `onFile` counts files read.
 */
export async function readDroppedFolder(
  folder: DroppedDirectoryEntry, onFile: (read: number) => void = () => {}, keep: (path: string) => boolean = () => true,
): Promise<DroppedFile[]> {
  const files: DroppedFile[] = [];
  const walk = async (dir: DroppedDirectoryEntry, prefix: string): Promise<void> => {
    for (const entry of await allEntries(dir)) {
      if (entry.name.startsWith('.')) continue; // the OS's litter (.DS_Store, .git): never part of a project
      const path = prefix + entry.name;
      if (entry.isDirectory) {
        await walk(entry as DroppedDirectoryEntry, `${path}/`);
      } else if (entry.isFile && keep(path)) {
        const blob = await new Promise<Blob>((resolve, reject) => (entry as DroppedFileEntry).file(resolve, reject));
        files.push({ path, bytes: new Uint8Array(await blob.arrayBuffer()) });
        onFile(files.length);
      }
    }
  };
  await walk(folder, '');
  return files;
}

async function allEntries(dir: DroppedDirectoryEntry): Promise<DroppedEntry[]> {
  const reader = dir.createReader();
  const all: DroppedEntry[] = [];
  for (;;) {
    const batch = await new Promise<DroppedEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/**
 * What importing a project reads (main/runs/project.ts importProject): its job.json, events.jsonl and the
 * checkpoints those events name. The corpus, trainer and start checkpoint stay behind: the run has them.
 */
export const importedByRun = (path: string): boolean => path === 'job.json' || path === 'events.jsonl' || path.startsWith('checkpoints/');

/** A project folder has its job.json at the top. */
export const isProjectFolder = (files: DroppedFile[]): boolean => files.some((f) => f.path === 'job.json');
