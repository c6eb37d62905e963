/**
 * The storage layer in one object: open a database file, get every repository over one connection,
 * close it. The service layer and the run manager use only this module.
 *
 *   const storage = Storage.open({ path: resolveDatabasePath({ flag }) });
 *   const { corpus } = storage.corpora.add({ name: 'hello', text });
 *   storage.close();
 *
 * Repository methods are synchronous (better-sqlite3); they throw `StorageError` (with a code, see
 * main/errors.ts) with a message for a person when a request cannot be done.
 */
import type { Database } from 'better-sqlite3';
import { CheckpointsRepository } from './checkpoints.ts';
import { CorporaRepository } from './corpora.ts';
import { openDatabase, schemaVersion, type OpenDatabaseOptions } from './database.ts';
import { StorageInfoRepository } from './info.ts';
import { MetricsRepository } from './metrics.ts';
import { resolveNativeBinding } from './native-binding.ts';
import { RunsRepository } from './runs.ts';
import { SamplesRepository } from './samples.ts';
import { SweepsRepository } from './sweeps.ts';
import type { Id, NewMetric } from './types.ts';
import { VocabulariesRepository } from './vocabularies.ts';
import { TrashRepository } from './trash.ts';
import { SettingsRepository } from './settings.ts';

export type * from './types.ts';
export { FINAL_STATUSES, LIVE_STATUSES, RUN_STATUSES } from './types.ts';
export { StorageError } from './errors.ts';
export { openDatabase, migrate, prepareDatabasePath, schemaVersion, type OpenDatabaseOptions } from './database.ts';
export { MIGRATIONS, LATEST_VERSION } from './migrations/index.ts';
export { resolveDatabasePath, type DatabasePathOptions } from './paths.ts';
export { resolveNativeBinding } from './native-binding.ts';
export { currentOwner, HEARTBEAT_STALE_MS } from './runs.ts';
export { isPidAlive, processStartMs, whyOwnerIsGone, type LivenessProbe } from './owner-liveness.ts';
export { MAX_CORPUS_BYTES, describeMaxCorpus, refuseTooBig, sha256Hex, measureText, measureUtf8 } from './corpora.ts';
export { DEFAULT_CURVE_POINTS } from './metrics.ts';
export type { TrashItem, TrashKind, RestoredItem } from './trash.ts';
export {
  CheckpointsRepository, CorporaRepository, MetricsRepository, RunsRepository, SamplesRepository,
  StorageInfoRepository, SweepsRepository, VocabulariesRepository,
};

export class Storage {
  readonly corpora: CorporaRepository;
  readonly vocabularies: VocabulariesRepository;
  readonly runs: RunsRepository;
  readonly metrics: MetricsRepository;
  readonly checkpoints: CheckpointsRepository;
  readonly samples: SamplesRepository;
  readonly sweeps: SweepsRepository;
  readonly info: StorageInfoRepository;
  readonly trash: TrashRepository;
  readonly settings: SettingsRepository;

  private constructor(readonly db: Database, readonly path: string) {
    this.corpora = new CorporaRepository(db);
    this.vocabularies = new VocabulariesRepository(db);
    this.runs = new RunsRepository(db);
    this.metrics = new MetricsRepository(db);
    this.checkpoints = new CheckpointsRepository(db);
    this.samples = new SamplesRepository(db);
    this.sweeps = new SweepsRepository(db);
    this.info = new StorageInfoRepository(db, path);
    this.trash = new TrashRepository(db);
    this.settings = new SettingsRepository(db);
  }

  /**
   * Opens (creating folders and file as needed) and migrates; with `access: 'read'` creates and
   * upgrades nothing (see database.ts). Under Electron the Electron build of
   * the native binding is picked up by itself unless `nativeBinding` says otherwise.
   */
  static open(options: OpenDatabaseOptions | string): Storage {
    const opts = typeof options === 'string' ? { path: options } : options;
    const db = openDatabase({ ...opts, nativeBinding: opts.nativeBinding ?? resolveNativeBinding() });
    return new Storage(db, opts.path);
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Opened read-only (`access: 'read'` on a database whose folder cannot be written): nothing can be stored. */
  get readOnly(): boolean {
    return this.db.readonly;
  }

  /** Runs `fn` in one write transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * The run manager's flush: appends buffered progress events of one run, advances its step and
   * stamps the owner's heartbeat, all in one transaction.
   */
  recordProgress(runId: Id, events: readonly NewMetric[], now: number = Date.now()): void {
    if (events.length === 0) return;
    this.transaction(() => {
      this.metrics.appendBatch(events);
      this.runs.setStep(runId, events.reduce((max, e) => Math.max(max, e.step), 0));
      this.runs.heartbeat(runId, now);
    });
  }

  /** SQLite's own consistency check: ['ok'] when the file is sound. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  /** Closes the connection (idempotent). The WAL is checkpointed by SQLite on the last close. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
