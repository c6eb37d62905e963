/**
 * The inspect process: one job (a long trace, or n-gram baselines) per process, started by the host's
 * InspectJobs (main/inspect/jobs.ts) as engine/worker.ts is for training, so heavy analysis never runs
 * in the Electron main process. Posts progress between chunks and yields there, so `cancel` gets
 * through within a chunk's time (tens of milliseconds); then it posts `cancelled` and ends.
 */
import { decodeCheckpoint } from './format/checkpoint.ts';
import { connectHost, nodeKernelHost } from './host.ts';
import type { InspectEngineMessage, InspectHostMessage, NgramJob, TraceJob } from './inspect/protocol.ts';
import { NgramModel, meanBits } from './inspect/ngram.ts';
import { traceIds } from './inspect/trace.ts';
import { loadKernels } from './kernels/index.ts';
import { Model } from './model.ts';
import type { EngineMessage } from './protocol.ts';
import { Vocabulary } from './text/vocab.ts';

const host = connectHost();
// The shim is typed for the training protocol; this process speaks the inspect one over the same channel.
const post = (msg: InspectEngineMessage) => host.post(msg as unknown as EngineMessage);

let started = false;
let cancelled = false;
const shouldStop = () => cancelled;
const yieldToEventLoop = host.yieldToEventLoop;

host.onMessage((raw) => {
  const msg = raw as InspectHostMessage;
  switch (msg?.type) {
    case 'cancel':
      cancelled = true;
      if (!started) end({ type: 'cancelled' });
      return;
    case 'trace':
    case 'ngram':
      if (started) return post({ type: 'error', message: 'This inspect process already has a job.', step: null });
      started = true;
      (msg.type === 'trace' ? runTrace(msg) : runNgram(msg)).then(end, (error: unknown) =>
        end({ type: 'error', message: error instanceof Error ? error.message : String(error), step: null }));
      return;
    default:
      post({ type: 'error', message: `Unknown message type ${JSON.stringify((msg as { type?: unknown })?.type ?? null)}; expected trace, ngram or cancel.`, step: null });
  }
});

function end(last: InspectEngineMessage): void {
  post(last);
  host.finish(last.type === 'error' ? 1 : 0);
}

async function runTrace(job: TraceJob): Promise<InspectEngineMessage> {
  post({ type: 'progress', phase: 'load', done: 0, total: 1 });
  const checkpoint = decodeCheckpoint(job.checkpoint);
  const model = new Model(checkpoint.config, await loadKernels(checkpoint.kernelPath, 1, nodeKernelHost));
  model.params.set(checkpoint.params);
  const ids = Vocabulary.fromChars(checkpoint.vocab).encode(job.text);
  const trace = await traceIds(model, ids, {
    chunk: job.chunk,
    shouldStop,
    yieldToEventLoop,
    onProgress: (done, total) => post({ type: 'progress', phase: 'trace', done, total }),
  });
  return trace === null ? { type: 'cancelled' } : { type: 'trace-done', trace };
}

async function runNgram(job: NgramJob): Promise<InspectEngineMessage> {
  const model = await NgramModel.fit(job.train, job.maxOrder, job.alphabet, {
    shouldStop,
    yieldToEventLoop,
    onProgress: (done, total) => post({ type: 'progress', phase: 'count', done, total }),
  });
  if (model === null) return { type: 'cancelled' };
  const orders = [];
  for (let n = 1; n <= job.maxOrder; n++) {
    if (cancelled) return { type: 'cancelled' };
    const bits = model.bitsPerPosition(n, job.text);
    orders.push({ n, bitsPerChar: meanBits(bits), bits: Float32Array.from(bits) });
    post({ type: 'progress', phase: 'score', done: n, total: job.maxOrder });
    await yieldToEventLoop();
  }
  return { type: 'ngram-done', result: { orders } };
}
