/** What the tests that train real runs share: the seed corpus, a fresh database holding it, and waiting for an event. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent, WorkbenchApi } from '../../main/api/contract.ts';
import { REPO_ROOT } from '../../main/runs/launcher.ts';
import type { RunManager } from '../../main/runs/run-manager.ts';
import { Storage } from '../../main/storage/index.ts';

export const seedCorpusText = readFileSync(path.resolve(REPO_ROOT, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');

/** A database in a new temporary folder, with the seed corpus stored as "hello". */
export function openSeededStorage(prefix: string): { dir: string; dbPath: string; storage: Storage; corpusId: number } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const dbPath = path.join(dir, 'workbench.db');
  const storage = Storage.open(dbPath);
  const corpusId = storage.corpora.add({ name: 'hello', text: seedCorpusText }).corpus.id;
  return { dir, dbPath, storage, corpusId };
}

/** A RunManager or the service: both tell run events. */
export type RunEventSource = Pick<RunManager, 'onEvent'> | Pick<WorkbenchApi, 'onRunEvent'>;

/** The first run event that matches, from now on; stops listening once it has come. */
export function nextRunEvent(source: RunEventSource, predicate: (event: RunEvent) => boolean): Promise<RunEvent> {
  const subscribe = 'onEvent' in source ? source.onEvent : (listener: (event: RunEvent) => void) => source.onRunEvent(listener);
  return new Promise((resolve) => {
    const off = subscribe((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}
