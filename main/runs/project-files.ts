/**
 * A project folder sent as its files (dropped on the app, which cannot name a host path): written into a
 * fresh temporary folder, imported as `importProject` imports a folder, then removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError, type ProjectImportReport } from '../api/contract.ts';
import type { Storage } from '../storage/index.ts';
import { importProject } from './project.ts';

export interface ProjectFile {
  /** Relative to the project folder, '/'-separated: job.json, events.jsonl, checkpoints/step-….ckpt. */
  path: string;
  bytes: Uint8Array;
}

export function importProjectFiles(storage: Storage, files: ProjectFile[]): ProjectImportReport {
  // Said here, not by importProject: its sentence would name the temporary folder, not the dropped one.
  if (!files.some((f) => f.path === 'job.json')) throw new ApiError('The folder has no job.json at its top, so it is not an exported project; send the folder that holds job.json.');
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnwb-import-'));
  try {
    for (const file of files) {
      const target = path.join(dir, ...file.path.split('/'));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.bytes);
    }
    return importProject(storage, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
