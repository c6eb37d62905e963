/**
 * The workbench in-process: every method of WorkbenchApi (contract.ts) on top of the storage layer,
 * the run manager and the engine library. The Electron IPC, the WebSocket host and the CLI all wrap
 * this one object. Payload shapes are checked at the transport (zod); here the meaning is checked —
 * unknown ids and names, corpora too short, hyperparameters out of range, characters a model does not
 * know — and each refusal is an ApiError a person can act on, raised before anything is stored.
 */
import { PRESETS, type PresetName } from '../../engine/config.ts';
import { normalizeUtf8, validateUtf8 } from '../../engine/text/utf8.ts';
import { nodeEngineLauncher, type EngineLauncher } from '../runs/launcher.ts';
import { planTraining, resolveHyperparameters } from '../runs/plan.ts';
import { createContinuation, createQueuedRun, createSweepRuns } from '../runs/run-factory.ts';
import { RunManager } from '../runs/run-manager.ts';
import { describeEngines, setPythonPath } from '../runs/engines.ts';
import { exportProject, hostFolder, importProject } from '../runs/project.ts';
import { importProjectFiles } from '../runs/project-files.ts';
import { InspectJobs } from '../inspect/jobs.ts';
import { Storage, type RunRecord } from '../storage/index.ts';
import {
  API_METHODS, ApiError, type CorpusSummary, type HyperparameterCheck, type ProjectImportReport, type RunDetail, type RunSummary, type WorkbenchApi,
} from './contract.ts';
import { statsOfUtf8 } from './corpus-stats.ts';
import { CorpusUploads } from './corpus-uploads.ts';
import { toApiError } from './dispatch.ts';
import { ForeignRunWatcher } from './foreign-runs.ts';
import { compare, compareCsv } from './service-compare.ts';
import { Inspector, inspectMethods } from './service-inspect.ts';
import { Playground } from './service-playground.ts';
import { addSampleCorpus, listSampleCorpora } from './service-samples.ts';
import { checkpointById, resolveCheckpointRef, resolveRunRef, runById } from './service-refs.ts';
import type { QueryMethod } from './query-protocol.ts';
import { QueryWorkers } from './query-workers.ts';
import { calibrationJob, measureSpeed, SpeedCalibrations } from './speed-calibration.ts';

/**
 * The most of a corpus's text `getCorpus` hands the editor: a longer corpus comes as its opening,
 * marked `truncated` (a whole 200 MB text would cross the transport and fill the editor's memory).
 */
export const CORPUS_EDITOR_BYTES = 16 * 2 ** 20;

export interface WorkbenchServiceOptions {
  /** Open this database file (closed again by `close`)… */
  dbPath?: string;
  /** …or use this open storage (left open by `close`). */
  storage?: Storage;
  /** Runs trained at once (default: the number of cores). */
  concurrency?: number;
  /** How engine processes start (default: a Node child running engine/worker.ts). */
  launcher?: EngineLauncher;
  /** How inspect processes start (default: a Node child running engine/inspect-worker.ts). */
  inspectLauncher?: EngineLauncher;
  /** Take over queued runs left by a host that closed (the app and `serve` do; a one-shot CLI need not). Default true. */
  adoptQueued?: boolean;
  /** At `close`, leave running runs paused (resumable) rather than stopped. Default true. */
  pauseOnClose?: boolean;
  /**
   * Run inference and compare in worker threads with their own read-only connection (the browser host
   * and the app's backend do: their event loop serves every window). Default false: a one-shot CLI
   * command gains nothing from a thread. Needs a database file (not ':memory:').
   */
  offload?: boolean;
}

export type WorkbenchService = WorkbenchApi & {
  /** The run manager (for hosts that wait on runs, e.g. the CLI's `train`). */
  readonly runs: RunManager;
  readonly storage: Storage;
  close(): Promise<void>;
};

export function createWorkbenchService(options: WorkbenchServiceOptions): WorkbenchService {
  if (!options.storage && !options.dbPath) throw new ApiError('The workbench service needs a database: give dbPath or storage.', 'internal');
  const ownsStorage = !options.storage;
  const storage = options.storage ?? Storage.open(options.dbPath!);
  const manager = new RunManager({
    storage,
    launcher: options.launcher ?? nodeEngineLauncher(),
    concurrency: options.concurrency,
    adoptQueued: options.adoptQueued ?? true,
  });
  const playground = new Playground(storage);
  const inspector = new Inspector(storage, playground, new InspectJobs(options.inspectLauncher));
  const queries = options.offload && storage.path !== ':memory:' ? new QueryWorkers(storage.path) : null;
  /** A long call: in a query worker when there are some, else here; the same code either way. */
  const long = <M extends QueryMethod>(method: M, here: (input: Parameters<WorkbenchApi[M]>[0]) => ReturnType<WorkbenchApi[M]>) =>
    (input: Parameters<WorkbenchApi[M]>[0]): ReturnType<WorkbenchApi[M]> => (queries ? queries.call(method, input) : here(input));
  const forgetModel = (checkpointId?: number) => {
    playground.cache.forget(checkpointId);
    queries?.forget(checkpointId);
    if (checkpointId !== undefined) inspector.forgetCheckpoint(checkpointId);
  };
  const foreignRuns = new ForeignRunWatcher(storage, manager);
  const calibrations = new SpeedCalibrations();
  // Starting marks dead hosts' runs interrupted, a write: a read-only database is shown as it is.
  if (!storage.readOnly) manager.start();
  let closed = false;

  // Every run read shows the run as this host knows it: an outcome a full disk refused is shown, not 'running'.
  const summary = (stored: RunRecord): RunSummary => summaryOf(manager.asKnownHere(stored));
  const summaryOf = (run: RunRecord): RunSummary => ({
    id: run.id, name: run.name, corpusId: run.corpusId, corpusName: run.corpusName, status: run.status, reason: run.reason,
    parentRunId: run.parentRunId, sweepId: run.sweepId, hyper: run.hyper, vocabSize: run.vocabSize,
    parameterCount: run.parameterCount, step: run.step, totalSteps: run.totalSteps, lastTrainLoss: run.lastTrainLoss,
    lastValLoss: run.lastValLoss, bestValLoss: run.bestValLoss, charsPerSec: run.charsPerSec, createdAt: run.createdAt,
    startedAt: run.startedAt, endedAt: run.endedAt, engineSegments: run.reproduction.segments ?? [],
  });
  const uploads = new CorpusUploads();
  // Windows showing an imported run reload it: its status, steps and curve may have changed.
  const announceImport = (report: ProjectImportReport): ProjectImportReport => {
    const run = storage.runs.require(report.runId);
    manager.emit({ type: 'status', runId: run.id, status: run.status, reason: run.reason });
    return report;
  };
  // The summary only: a corpus's text is read where it is needed (it may be gigabytes).
  const corpusById = (id: number): CorpusSummary => {
    const corpus = Number.isInteger(id) ? storage.corpora.get(id) : null;
    if (!corpus) throw new ApiError(`No corpus with id ${id}.`, 'not-found');
    return corpus;
  };
  const forgetRuns = async (runIds: number[]) => {
    for (const id of runIds) {
      await manager.forget(id);
      for (const c of storage.checkpoints.list(id)) forgetModel(c.id);
    }
  };

  const api: WorkbenchService = {
    runs: manager,
    storage,

    // ------------------------------------------------------------ corpora
    async listCorpora() {
      return storage.corpora.list();
    },
    async getCorpus(id) {
      corpusById(id);
      return storage.corpora.detail(id, { maxBytes: CORPUS_EDITOR_BYTES })!;
    },
    async addCorpus(input) {
      const name = (input.name ?? '').trim();
      if (name === '') throw new ApiError('A corpus needs a name.');
      // Bytes stay bytes (checked and normalized where they are): a big file is never decoded whole.
      let given: { text: string } | { bytes: Uint8Array };
      if (input.bytes !== undefined) {
        if (input.text !== undefined) throw new ApiError('Give the corpus as text or as bytes, not both.');
        validateUtf8(input.bytes);
        given = { bytes: input.normalize ? normalizeUtf8(input.bytes) : input.bytes };
      } else if (input.text !== undefined) {
        given = { text: input.normalize ? input.text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n') : input.text };
      } else {
        throw new ApiError(`Corpus "${name}" has no text: give its text or its file bytes.`);
      }
      if (('text' in given ? given.text : given.bytes).length === 0) throw new ApiError(`Corpus "${name}" is empty.`);
      const { corpus, created } = storage.corpora.add({ name, ...given, source: input.source ?? 'paste' });
      return created ? corpus : { ...corpus, existing: true };
    },
    async updateCorpus(id, patch) {
      corpusById(id);
      if (patch.text !== undefined && patch.text.length === 0) throw new ApiError('A corpus cannot be empty.');
      return storage.corpora.update(id, patch);
    },
    async corpusStats(id, window, objective = 'next') {
      corpusById(id);
      if (!Number.isInteger(window) || window < 1) throw new ApiError(`The window must be a whole number of at least 1 (got ${window}).`);
      if (objective !== 'next' && objective !== 'every') throw new ApiError(`The objective must be "next" or "every" (got ${String(objective)}).`);
      return statsOfUtf8(storage.corpora.bytes(id)!, window, objective);
    },
    async corpusDeleteImpact(id) {
      corpusById(id);
      return storage.corpora.deleteImpact(id);
    },
    async deleteCorpus(id, deleteOptions = {}) {
      const { name } = corpusById(id);
      const impact = storage.corpora.deleteImpact(id);
      // Refused by storage (naming the runs) unless cascading; only then are those runs' engines ended.
      if (impact.runs.length > 0 && !deleteOptions.cascade) storage.corpora.delete(id);
      // Runs another process trains: refused unless forced, then stopped there first.
      await manager.settleForDeletion(impact.runs.map((r) => r.id), { force: deleteOptions.force, corpusName: name });
      await forgetRuns(impact.runs.map((r) => r.id));
      // To the trash with its runs (restorable until the trash is emptied).
      const trashed = storage.trash.trashCorpus(id);
      for (const run of impact.runs) manager.emit({ type: 'deleted', runId: run.id });
      return trashed;
    },

    async startCorpusUpload(input) {
      return uploads.start(input);
    },
    async corpusUploadPiece(uploadId, bytes) {
      return uploads.piece(uploadId, bytes);
    },
    async finishCorpusUpload(uploadId) {
      const { name, source, normalize, content } = uploads.finish(uploadId);
      return api.addCorpus({ name, bytes: content, source, normalize });
    },

    async listSampleCorpora() {
      return listSampleCorpora(storage);
    },
    async addSampleCorpus(sampleId) {
      return addSampleCorpus(storage, sampleId);
    },

    // ------------------------------------------------------------ runs
    async presets() {
      return (Object.keys(PRESETS) as PresetName[]).map((name) => ({ name, label: PRESETS[name].label, hyper: PRESETS[name].hyper }));
    },
    async checkHyperparameters(input) {
      const hyper = resolveHyperparameters(input.preset, input.hyper);
      const corpus = input.corpusId === undefined ? null : storage.corpora.get(input.corpusId);
      if (corpus === null && input.corpusId !== undefined) throw new ApiError(`No corpus with id ${input.corpusId}.`, 'not-found');
      const plan = planTraining(hyper, corpus);
      const check: HyperparameterCheck = {
        hyper, errors: plan.errors, corpusError: plan.corpusError, parameterCount: plan.parameterCount,
        memoryBytes: plan.memoryBytes, trainWindows: plan.trainWindows, totalSteps: plan.totalSteps,
      };
      return check;
    },
    async calibrateSpeed(input) {
      // Checked and keyed here; measured in a query worker when there are some (never on this event loop then).
      const job = calibrationJob(storage, input);
      return calibrations.get(job, async () => {
        const measured = queries ? await queries.call('calibrateSpeed', input) : await measureSpeed(job);
        return { charsPerSec: measured.charsPerSec, parameterCount: measured.parameterCount, steps: measured.steps, measuredMs: measured.measuredMs };
      });
    },
    async listRuns() {
      return storage.runs.list().map(summary);
    },
    async getRun(id) {
      const run = runById(storage, id);
      const detail: RunDetail = {
        ...summary(run),
        reproduction: run.reproduction,
        vocab: storage.vocabularies.get(run.vocabularyId)?.chars ?? [],
        checkpoints: storage.checkpoints.list(run.id),
        latestSample: storage.samples.latest(run.id),
      };
      return detail;
    },
    async resolveRun(ref) {
      return summary(resolveRunRef(storage, ref));
    },
    async resolveCheckpoint(ref) {
      return resolveCheckpointRef(storage, ref);
    },
    async createRun(input) {
      const run = createQueuedRun(storage, input);
      manager.emit({ type: 'created', runId: run.id });
      manager.enqueue(run.id);
      return summary(run);
    },
    async createSweep(input) {
      const { sweepId, runs } = createSweepRuns(storage, input);
      for (const run of runs) {
        manager.emit({ type: 'created', runId: run.id });
        manager.enqueue(run.id);
      }
      return { sweepId, runs: runs.map(summary) };
    },
    async pauseRun(id) {
      runById(storage, id);
      manager.pause(id);
    },
    async resumeRun(id) {
      runById(storage, id);
      manager.resume(id);
    },
    async stopRun(id) {
      runById(storage, id);
      manager.stop(id);
    },
    async continueRun(input) {
      const run = createContinuation(storage, input);
      manager.emit({ type: 'created', runId: run.id });
      manager.enqueue(run.id);
      return summary(run);
    },
    async renameRun(id, name) {
      runById(storage, id);
      return summary(storage.runs.rename(id, name));
    },
    async runDeleteImpact(id) {
      runById(storage, id);
      return storage.runs.deleteImpact(id);
    },
    async deleteRun(id, deleteOptions = {}) {
      runById(storage, id);
      await manager.settleForDeletion([id], { force: deleteOptions.force });
      await forgetRuns([id]);
      const trashed = storage.trash.trashRun(id);
      manager.emit({ type: 'deleted', runId: id });
      return trashed;
    },
    async runMetrics(id, metricOptions = {}) {
      runById(storage, id);
      const maxPoints = metricOptions.maxPoints;
      if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 2)) {
        throw new ApiError(`maxPoints must be a whole number of at least 2 (got ${maxPoints}).`);
      }
      return storage.metrics.list(id, maxPoints === undefined ? {} : { maxPoints });
    },
    async listCheckpoints(runId) {
      runById(storage, runId);
      return storage.checkpoints.list(runId);
    },
    async deleteCheckpoint(id) {
      const checkpoint = checkpointById(storage, id);
      if (manager.isActive(checkpoint.runId) && storage.checkpoints.latest(checkpoint.runId)?.id === id) {
        throw new ApiError(`Checkpoint #${id} is the latest of run "${checkpoint.runName}", which is training; stop the run first.`, 'conflict');
      }
      const trashed = storage.trash.trashCheckpoint(id);
      forgetModel(id);
      return trashed;
    },
    async listSamples(runId) {
      runById(storage, runId);
      return storage.samples.list(runId);
    },
    async getConcurrency() {
      return manager.concurrency;
    },
    async setConcurrency(limit) {
      manager.setConcurrency(limit);
    },

    // ------------------------------------------------------------ compare
    compare: long('compare', (input) => compare(storage, playground, input)),
    compareCsv: long('compareCsv', (input) => compareCsv(storage, playground, input)),

    // ------------------------------------------------------------ playground
    predict: long('predict', (input) => playground.predict(input)),
    generate: long('generate', (input) => playground.generate(input)),
    trace: long('trace', (input) => playground.trace(input)),
    evaluate: long('evaluate', (input) => playground.evaluate(input)),

    // ------------------------------------------------------------ inspect
    ...inspectMethods(inspector),

    // ------------------------------------------------------------ import / export
    async importCheckpoint(input) {
      const { run } = playground.importCheckpoint(input);
      manager.emit({ type: 'created', runId: run.id });
      return summary(run);
    },
    async exportCheckpoint(input) {
      return playground.exportCheckpoint(input);
    },
    async exportProject({ runId, dir, steps, force }) {
      return exportProject(storage, runId, hostFolder(dir), { steps, force });
    },
    async importRun({ dir }) {
      return announceImport(importProject(storage, hostFolder(dir)));
    },
    async importRunFiles({ files }) {
      return announceImport(importProjectFiles(storage, files));
    },

    // ------------------------------------------------------------ storage
    async storageInfo() {
      return storage.info.info();
    },
    async vacuum() {
      return storage.info.vacuum();
    },
    async listTrash() {
      return storage.trash.list();
    },
    async restoreTrash(id) {
      const { item, runIds } = storage.trash.restore(id);
      for (const runId of runIds) manager.emit({ type: 'created', runId });
      return item;
    },
    async emptyTrash() {
      return { deleted: storage.trash.empty() };
    },

    // ------------------------------------------------------------ engines
    async describeEngines() {
      return describeEngines(storage);
    },
    async setPythonPath(path) {
      return setPythonPath(storage, path);
    },

    onRunEvent(callback) {
      // Runs other processes on this database create or change are told too, while someone listens.
      const unsubscribe = manager.onEvent(callback);
      const release = foreignRuns.retain();
      return () => {
        unsubscribe();
        release();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      foreignRuns.stop();
      await manager.shutdown({ pauseRunning: options.pauseOnClose ?? true });
      playground.cache.forget();
      uploads.closeAll();
      await inspector.jobs.closeAll();
      await queries?.close();
      if (ownsStorage) storage.close();
    },
  };

  // Every method: refused once closed, and any error leaves as an ApiError with a readable message.
  for (const method of API_METHODS) {
    const implementation = api[method] as (...args: unknown[]) => Promise<unknown>;
    (api as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      if (closed) throw new ApiError('The workbench service is closed.', 'internal');
      try {
        return await implementation(...args);
      } catch (error) {
        throw toApiError(error);
      }
    };
  }
  return api;
}
