/**
 * Watching runs the CLI started until they end: a progress bar on stderr, JSON lines on stdout with
 * --json, and Ctrl-C turned into a clean stop (the engine writes a final checkpoint) instead of a
 * killed process. The exit code says how it ended: 0 done, 1 failed, 130 stopped by Ctrl-C.
 */
import cliProgress from 'cli-progress';
import type { RunEvent, RunStatus, RunSummary, WorkbenchApi } from '../api/contract.ts';
import { EXIT, type ExitCode } from './errors.ts';
import { printJson } from './output.ts';

const ENDED: readonly RunStatus[] = ['done', 'stopped', 'failed', 'interrupted'];
/** A safety net under the status events: how often a run's stored status is looked at. */
const POLL_MS = 1000;

interface Watched {
  run: RunSummary;
  bar: cliProgress.SingleBar | null;
  ended: boolean;
  /** Another process deleted it while it trained (its training was ended). */
  deleted: boolean;
}

export interface FollowOptions {
  json: boolean;
}

/**
 * Starts runs with `create` and follows them to their end. Events are listened to before the runs
 * exist, so nothing a fast run says is missed.
 */
export async function createAndFollow(
  api: WorkbenchApi,
  create: () => Promise<RunSummary[]>,
  options: FollowOptions,
): Promise<ExitCode> {
  const early: RunEvent[] = [];
  const watched = new Map<number, Watched>();
  let handle: ((event: RunEvent) => void) | null = null;
  const unsubscribe = api.onRunEvent((event) => (handle ? handle(event) : early.push(event)));

  let stopping = false;
  let forced = false;
  const onSignal = () => {
    if (stopping) {
      forced = true;
      process.stderr.write('\nStopping at once.\n');
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    process.stderr.write('\nStopping (writing a final checkpoint; Ctrl-C again to quit at once)…\n');
    for (const w of watched.values()) if (!w.ended) api.stopRun(w.run.id).catch(() => {});
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const multibar = process.stderr.isTTY
    ? new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: ' {name} |{bar}| {value}/{total} steps | loss {loss} | {status}',
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;

  let poll: NodeJS.Timeout | undefined;
  try {
    const runs = await create();
    let resolveAll!: () => void;
    const allEnded = new Promise<void>((resolve) => (resolveAll = resolve));

    const finish = (w: Watched) => {
      if (w.ended) return;
      w.ended = true;
      if ([...watched.values()].every((x) => x.ended)) resolveAll();
    };

    handle = (event) => {
      const w = watched.get(event.runId);
      if (!w || w.ended) return;
      switch (event.type) {
        case 'progress': {
          const m = event.metric;
          w.run = { ...w.run, step: m.step, totalSteps: m.totalSteps, lastTrainLoss: m.trainLoss, lastValLoss: m.valLoss ?? w.run.lastValLoss };
          if (options.json) {
            printJson({ type: 'progress', runId: w.run.id, ...m });
          }
          w.bar?.setTotal(m.totalSteps);
          w.bar?.update(m.step, { loss: m.trainLoss.toFixed(4), status: w.run.status });
          break;
        }
        case 'checkpoint': {
          const c = event.checkpoint;
          if (options.json) {
            printJson({ type: 'checkpoint', runId: w.run.id, step: c.step, kind: c.kind, id: c.id, valLoss: c.valLoss, trainLoss: c.trainLoss });
          }
          break;
        }
        case 'status': {
          w.run = { ...w.run, status: event.status, reason: event.reason };
          w.bar?.update({ status: event.status });
          // Nothing pauses a run the CLI trains but a park (a full disk): it goes no further in this process.
          if (ENDED.includes(event.status) || event.status === 'paused') finish(w);
          break;
        }
        case 'deleted': {
          w.deleted = true;
          finish(w);
          break;
        }
        default:
          break;
      }
    };

    for (const run of runs) {
      const bar = multibar?.create(Math.max(1, run.totalSteps), run.step, { name: run.name, loss: '—', status: run.status }) ?? null;
      watched.set(run.id, { run, bar, ended: false, deleted: false });
      if (options.json) {
        printJson({
          type: 'start', runId: run.id, name: run.name, corpusId: run.corpusId, corpus: run.corpusName,
          status: run.status, step: run.step, totalSteps: run.totalSteps, parameterCount: run.parameterCount,
          vocabSize: run.vocabSize, parentRunId: run.parentRunId, sweepId: run.sweepId, hyper: run.hyper,
        });
      } else {
        process.stderr.write(`Training run ${run.id} "${run.name}" on ${run.corpusName ? `"${run.corpusName}"` : 'its corpus'}: ${run.totalSteps} steps, ${run.parameterCount} parameters.\n`);
      }
      if (stopping) api.stopRun(run.id).catch(() => {});
    }
    for (const event of early.splice(0)) handle(event);
    for (const w of watched.values()) if (ENDED.includes(w.run.status)) finish(w);
    if (watched.size === 0) resolveAll();

    poll = setInterval(() => {
      for (const w of watched.values()) {
        if (w.ended) continue;
        api.getRun(w.run.id).then((r) => {
          if (ENDED.includes(r.status) && !w.ended) {
            w.run = { ...w.run, status: r.status, reason: r.reason };
            finish(w);
          }
        }, (error: { code?: string }) => {
          if (error?.code !== 'not-found') return;
          w.deleted = true;
          finish(w);
        });
      }
    }, POLL_MS);

    await allEnded;
    multibar?.stop();

    const codes: ExitCode[] = [];
    for (const w of watched.values()) {
      if (w.deleted) {
        const reason = 'Another workbench process deleted it while it trained; its training was ended.';
        if (options.json) printJson({ type: 'done', runId: w.run.id, status: 'deleted', reason, step: w.run.step });
        else process.stdout.write(`Run ${w.run.id} "${w.run.name}": deleted at step ${w.run.step}/${w.run.totalSteps} — ${reason}\n`);
        codes.push(EXIT.failed);
        continue;
      }
      const final = await api.getRun(w.run.id).catch(() => w.run);
      const status = ENDED.includes(final.status) ? final.status : w.run.status;
      const reason = final.reason ?? w.run.reason;
      if (options.json) {
        printJson({ type: 'done', runId: final.id, status, reason, step: final.step, trainLoss: final.lastTrainLoss, valLoss: final.lastValLoss });
      } else {
        const losses = [
          final.lastTrainLoss !== null ? `train loss ${final.lastTrainLoss.toFixed(4)}` : null,
          final.lastValLoss !== null ? `validation loss ${final.lastValLoss.toFixed(4)}` : null,
        ].filter(Boolean).join(', ');
        // The step comes first, once: engine reasons often end with their own "at step N." already.
        const why = reason ? ` — ${reason.replace(/ at step \d+\.?$|\.$/, '')}` : '';
        process.stdout.write(`Run ${final.id} "${final.name}": ${status} at step ${final.step}/${final.totalSteps}${why}${losses ? `; ${losses}` : ''}.\n`);
      }
      codes.push(status === 'done' ? EXIT.ok : status === 'stopped' && stopping ? EXIT.interrupted : EXIT.failed);
    }
    if (codes.includes(EXIT.failed)) return EXIT.failed;
    if (codes.includes(EXIT.interrupted)) return EXIT.interrupted;
    return EXIT.ok;
  } finally {
    if (poll) clearInterval(poll);
    multibar?.stop();
    unsubscribe();
    if (!forced) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
