/**
 * The engine process: receives HostMessages (start, stop, pause, resume) through the host shim and
 * posts EngineMessages (ready, progress, checkpoint, paused/resumed, heartbeat, done, error). One run
 * per process; the process ends after 'done' or 'error', and by itself when its parent goes away.
 *
 * Started as an Electron utilityProcess or as a Node child:
 *   fork('<repo>/engine/worker.ts', [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' })
 * The trainer yields to the event loop every ~20 ms, so stop and pause get through during a run.
 */
import { CorpusAssembler } from './data/corpus-chunks.ts';
import { connectHost, nodeKernelHost } from './host.ts';
import { loadKernels } from './kernels/index.ts';
import type { EngineMessage } from './protocol.ts';
import { train, type TrainJob } from './train/trainer.ts';

const HEARTBEAT_MS = 2000;

const host = connectHost();
const post = (msg: EngineMessage) => host.post(msg);
// A spare process starts its kernels (threads included, ~50 ms) now; the job's own request then finds them made.
if (host.warmThreads !== null) void loadKernels(undefined, host.warmThreads, nodeKernelHost);

let started = false;
let stopRequested = false;
let paused = false;
let step = 0;
let wake: (() => void) | null = null;
let heartbeat: ReturnType<typeof setInterval> | null = null;
/** A big corpus arrives in chunks ahead of the start message. */
const corpus = new CorpusAssembler();

const wakeUp = () => {
  const w = wake;
  wake = null;
  w?.();
};

host.onMessage((raw) => {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  switch (type) {
    case 'start':
      if (started) {
        post({ type: 'error', message: 'This engine is already running a job; start another engine for another run.', step });
        return;
      }
      started = true;
      try {
        void run(withAssembledCorpus(raw as TrainJob));
      } catch (e) {
        post({ type: 'error', message: e instanceof Error ? e.message : String(e), step: null });
        host.finish(1);
      }
      return;
    case 'corpus-chunk': {
      const problem = started ? 'A corpus chunk arrived after the start message.' : corpus.add(raw);
      if (problem) {
        post({ type: 'error', message: problem, step: null });
        host.finish(1);
      }
      return;
    }
    case 'stop':
      stopRequested = true;
      if (!started) {
        host.finish(0);
        return;
      }
      wakeUp();
      return;
    case 'pause':
      if (started && !paused && !stopRequested) {
        paused = true;
        post({ type: 'paused', step });
      }
      return;
    case 'resume':
      if (paused) {
        paused = false;
        post({ type: 'resumed', step });
        wakeUp();
      }
      return;
    default:
      post({ type: 'error', message: `Unknown message type ${JSON.stringify(type ?? null)}; expected start, stop, pause or resume.`, step: started ? step : null });
  }
});

/** The job with the chunks that came ahead of it as its `corpusBytes` (the job as it is when none did). */
function withAssembledCorpus(job: TrainJob): TrainJob {
  if (job.corpusChunked === undefined) return job;
  const { corpusChunked, ...rest } = job;
  return { ...rest, corpusBytes: corpus.take(corpusChunked) };
}

async function run(job: TrainJob): Promise<void> {
  heartbeat = setInterval(() => post({ type: 'heartbeat', step }), HEARTBEAT_MS);
  const result = await train(
    job,
    {
      onReady: (msg) => post({ ...msg, pid: host.pid }),
      onProgress: (msg) => {
        step = msg.step;
        post(msg);
      },
      onCheckpoint: (msg) => post(msg),
      onDone: (msg) => post(msg),
      onError: (msg) => post(msg),
    },
    {
      shouldStop: () => stopRequested,
      waitIfPaused: async (at) => {
        step = at;
        while (paused && !stopRequested) await new Promise<void>((resolve) => (wake = resolve));
      },
      yieldToEventLoop: host.yieldToEventLoop,
    },
    { pid: host.pid, kernelHost: nodeKernelHost },
  );
  if (heartbeat) clearInterval(heartbeat);
  host.finish(result.status === 'error' ? 1 : 0);
}
