/**
 * The engine process: receives HostMessages (start, stop, pause, resume) through the host shim and
 * posts EngineMessages (ready, progress, checkpoint, paused/resumed, heartbeat, done, error). One run
 * per process; the process ends after 'done' or 'error', and by itself when its parent goes away.
 *
 * Started as an Electron utilityProcess or as a Node child:
 *   fork('<repo>/engine/worker.ts', [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' })
 * The trainer yields to the event loop every ~20 ms, so stop and pause get through during a run.
 */
import { connectHost, nodeKernelHost } from './host.ts';
import type { EngineMessage } from './protocol.ts';
import { train, type TrainJob } from './train/trainer.ts';

const HEARTBEAT_MS = 2000;

const host = connectHost();
const post = (msg: EngineMessage) => host.post(msg);

let started = false;
let stopRequested = false;
let paused = false;
let step = 0;
let wake: (() => void) | null = null;
let heartbeat: ReturnType<typeof setInterval> | null = null;

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
      void run(raw as TrainJob);
      return;
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
