/**
 * The preload: exposes exactly WorkbenchApi to the page as `window.workbench`, one narrow function per
 * method (never ipcRenderer itself). Runs sandboxed, so it is bundled to one CommonJS file.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiMethod, RunEvent, WorkbenchApi } from '../api/contract.ts';
import { ipcChannel, RUN_EVENT_CHANNEL, type IpcResult } from './channels.ts';

type Method<M extends ApiMethod> = WorkbenchApi[M];

async function invoke<M extends ApiMethod>(method: M, ...args: Parameters<Method<M>>): Promise<Awaited<ReturnType<Method<M>>>> {
  const result = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as IpcResult;
  if (result.ok) return result.value as Awaited<ReturnType<Method<M>>>;
  // Errors cross the context bridge as plain Errors: the message is what a person reads.
  const error = new Error(result.message);
  error.name = result.code === 'bad-input' ? 'ApiError' : `ApiError(${result.code})`;
  throw error;
}

const workbench = {
  listCorpora: () => invoke('listCorpora'),
  getCorpus: (id) => invoke('getCorpus', id),
  addCorpus: (input) => invoke('addCorpus', input),
  updateCorpus: (id, patch) => invoke('updateCorpus', id, patch),
  corpusStats: (id, window, objective) => invoke('corpusStats', id, window, objective),
  corpusDeleteImpact: (id) => invoke('corpusDeleteImpact', id),
  deleteCorpus: (id, options) => invoke('deleteCorpus', id, options),

  presets: () => invoke('presets'),
  checkHyperparameters: (input) => invoke('checkHyperparameters', input),
  listRuns: () => invoke('listRuns'),
  getRun: (id) => invoke('getRun', id),
  resolveRun: (ref) => invoke('resolveRun', ref),
  resolveCheckpoint: (ref) => invoke('resolveCheckpoint', ref),
  createRun: (input) => invoke('createRun', input),
  createSweep: (input) => invoke('createSweep', input),
  pauseRun: (id) => invoke('pauseRun', id),
  resumeRun: (id) => invoke('resumeRun', id),
  stopRun: (id) => invoke('stopRun', id),
  continueRun: (input) => invoke('continueRun', input),
  renameRun: (id, name) => invoke('renameRun', id, name),
  runDeleteImpact: (id) => invoke('runDeleteImpact', id),
  deleteRun: (id) => invoke('deleteRun', id),
  runMetrics: (id, options) => invoke('runMetrics', id, options),
  listCheckpoints: (runId) => invoke('listCheckpoints', runId),
  deleteCheckpoint: (id) => invoke('deleteCheckpoint', id),
  listSamples: (runId) => invoke('listSamples', runId),
  getConcurrency: () => invoke('getConcurrency'),
  setConcurrency: (limit) => invoke('setConcurrency', limit),

  compare: (input) => invoke('compare', input),
  compareCsv: (input) => invoke('compareCsv', input),

  predict: (input) => invoke('predict', input),
  generate: (input) => invoke('generate', input),
  trace: (input) => invoke('trace', input),
  evaluate: (input) => invoke('evaluate', input),

  importCheckpoint: (input) => invoke('importCheckpoint', input),
  exportCheckpoint: (input) => invoke('exportCheckpoint', input),

  storageInfo: () => invoke('storageInfo'),
  vacuum: () => invoke('vacuum'),

  onRunEvent: (callback) => {
    const listener = (_event: IpcRendererEvent, runEvent: RunEvent) => callback(runEvent);
    ipcRenderer.on(RUN_EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(RUN_EVENT_CHANNEL, listener);
    };
  },
} satisfies WorkbenchApi;

contextBridge.exposeInMainWorld('workbench', workbench);
