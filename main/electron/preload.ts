/**
 * The preload: exposes exactly WorkbenchApi to the page as `window.workbench`, one narrow function per
 * method (never ipcRenderer, never the port itself). It asks main for a MessagePort to the backend
 * process and carries every call and run event over it (page-connection.ts). Runs sandboxed, so it is
 * bundled to one CommonJS file.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiMethod, WorkbenchApi } from '../api/contract.ts';
import { CONNECT_CHANNEL, PORT_CHANNEL, type PortAnswer } from './channels.ts';
import { createPageConnection, type PagePort } from './page-connection.ts';

type Method<M extends ApiMethod> = WorkbenchApi[M];

const connection = createPageConnection();
ipcRenderer.once(PORT_CHANNEL, (event: IpcRendererEvent, answer: PortAnswer | null) => {
  const port = event.ports?.[0] as PagePort | undefined;
  if (port) connection.attach(port);
  else connection.refuse(answer?.refused ?? 'The workbench backend did not answer.');
});
ipcRenderer.send(CONNECT_CHANNEL);

function invoke<M extends ApiMethod>(method: M, ...args: Parameters<Method<M>>): Promise<Awaited<ReturnType<Method<M>>>> {
  return connection.call(method, args) as Promise<Awaited<ReturnType<Method<M>>>>;
}

const workbench = {
  listCorpora: () => invoke('listCorpora'),
  getCorpus: (id) => invoke('getCorpus', id),
  addCorpus: (input) => invoke('addCorpus', input),
  updateCorpus: (id, patch) => invoke('updateCorpus', id, patch),
  corpusStats: (id, window, objective) => invoke('corpusStats', id, window, objective),
  corpusDeleteImpact: (id) => invoke('corpusDeleteImpact', id),
  deleteCorpus: (id, options) => invoke('deleteCorpus', id, options),
  startCorpusUpload: (input) => invoke('startCorpusUpload', input),
  corpusUploadPiece: (uploadId, bytes) => invoke('corpusUploadPiece', uploadId, bytes),
  finishCorpusUpload: (uploadId) => invoke('finishCorpusUpload', uploadId),

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
  deleteRun: (id, options) => invoke('deleteRun', id, options),
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
  exportProject: (input) => invoke('exportProject', input),
  importRun: (input) => invoke('importRun', input),
  importRunFiles: (input) => invoke('importRunFiles', input),

  storageInfo: () => invoke('storageInfo'),
  vacuum: () => invoke('vacuum'),
  listTrash: () => invoke('listTrash'),
  restoreTrash: (id) => invoke('restoreTrash', id),
  emptyTrash: () => invoke('emptyTrash'),
  describeEngines: () => invoke('describeEngines'),
  setPythonPath: (path) => invoke('setPythonPath', path),
  calibrateSpeed: (input) => invoke('calibrateSpeed', input),
  listSampleCorpora: () => invoke('listSampleCorpora'),
  addSampleCorpus: (sampleId) => invoke('addSampleCorpus', sampleId),

  estimateInspect: (input) => invoke('estimateInspect', input),
  startInspect: (input) => invoke('startInspect', input),
  startNgram: (input) => invoke('startNgram', input),
  inspectStatus: (jobId) => invoke('inspectStatus', jobId),
  cancelInspect: (jobId) => invoke('cancelInspect', jobId),
  inspectSummary: (traceId) => invoke('inspectSummary', traceId),
  inspectUnit: (input) => invoke('inspectUnit', input),
  inspectPosition: (input) => invoke('inspectPosition', input),
  inspectLoss: (input) => invoke('inspectLoss', input),
  inspectClasses: (traceId) => invoke('inspectClasses', traceId),
  inspectCompareLoss: (input) => invoke('inspectCompareLoss', input),
  inspectFindUnits: (input) => invoke('inspectFindUnits', input),
  inspectSelection: (input) => invoke('inspectSelection', input),
  inspectSaturation: (traceId) => invoke('inspectSaturation', traceId),
  inspectNgram: (ngramId) => invoke('inspectNgram', ngramId),
  inspectNgramLoss: (input) => invoke('inspectNgramLoss', input),
  inspectCsv: (input) => invoke('inspectCsv', input),

  onRunEvent: (callback) => connection.onEvent(callback),
} satisfies WorkbenchApi;

contextBridge.exposeInMainWorld('workbench', workbench);
