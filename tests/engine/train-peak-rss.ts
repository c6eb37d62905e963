/**
 * A training run in a process of its own, for tests that bound its memory: trains as the engine
 * process does (engine/worker.ts: the WebAssembly kernels through Node's host) on the corpus file
 * argv[2] with the hyperparameters in argv[3] (JSON, over the defaults), then prints one JSON line —
 * status, step, message and this process's peak resident memory in bytes.
 *
 *   node --import tsx tests/engine/train-peak-rss.ts <corpus file> '<hyperparameters JSON>'
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_HYPERPARAMETERS } from '../../engine/config.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { NO_CONTROL, train } from '../../engine/train/trainer.ts';

const [corpusFile, hyperJson] = process.argv.slice(2);
const hyper = { ...DEFAULT_HYPERPARAMETERS, ...JSON.parse(hyperJson ?? '{}') };
const result = await train({ hyper, corpusText: readFileSync(corpusFile, 'utf8') }, {}, NO_CONTROL, { kernelHost: nodeKernelHost });
// resourceUsage's maxRSS is in kilobytes
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ status: result.status, step: result.step, message: result.message ?? null, peakRssBytes })}\n`);
// the kernels' worker threads are unref'd, but a finished run has nothing left to wait for
process.exit(0);
