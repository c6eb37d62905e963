/**
 * The query worker: a thread that answers the calls that take long — inference (predict, generate,
 * trace, evaluate), compare and the speed calibration — with the same code the service would run, over its own read-only
 * SQLite connection. The thread that owns the connections (the browser host's, the backend's) only
 * waits for the answer, so its event loop stays free for other calls and for the runs' progress.
 * Started by query-workers.ts; `workerData` is { dbPath }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { failure } from './dispatch.ts';
import { compare, compareCsv } from './service-compare.ts';
import { Playground } from './service-playground.ts';
import { Storage } from '../storage/index.ts';
import { calibrationJob, measureSpeed } from './speed-calibration.ts';
import type { QueryReply, QueryRequest } from './query-protocol.ts';

const port = parentPort!;
let opened: { storage: Storage; playground: Playground } | Error;
try {
  const storage = Storage.open({ path: (workerData as { dbPath: string }).dbPath, access: 'read' });
  opened = { storage, playground: new Playground(storage) };
} catch (error) {
  // Every call is then answered with why (the service opened the same file a moment ago, so this is rare).
  opened = error instanceof Error ? error : new Error(String(error));
}

async function answer(request: Extract<QueryRequest, { kind: 'call' }>): Promise<unknown> {
  if (opened instanceof Error) throw opened;
  const { storage, playground } = opened;
  switch (request.method) {
    case 'compare': return compare(storage, playground, request.input);
    case 'compareCsv': return compareCsv(storage, playground, request.input);
    case 'predict': return playground.predict(request.input);
    case 'generate': return playground.generate(request.input);
    case 'trace': return playground.trace(request.input);
    case 'evaluate': return playground.evaluate(request.input);
    case 'calibrateSpeed': return measureSpeed(calibrationJob(storage, request.input));
  }
}

port.on('message', (request: QueryRequest) => {
  if (request.kind === 'forget') {
    if (!(opened instanceof Error)) opened.playground.cache.forget(request.checkpointId);
    return;
  }
  answer(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies QueryReply),
    (error: unknown) => port.postMessage({ id: request.id, ...failure(error) } satisfies QueryReply),
  );
});
