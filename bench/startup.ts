/**
 * Startup benchmark (not a test): `npm run bench:startup [-- --rounds 5 --json]`. Whole processes, medians:
 * `rnnwb --help` against `node -e 0` (and against itself run from the sources through tsx), and the reference run (`rnnwb train --preset reference` on the seed
 * corpus, 500 epochs) against the same run in PyTorch (bench/reference_run.py), measured in this one
 * invocation. Issue 8's targets: `--help` ≤ 0.15 s; the reference run ≤ 0.5 × PyTorch's wall time.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { cliHelp, cliHelpFromSource, medians, nodeAlone, pytorchReferenceRun, referenceRun } from './startup-runs.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);

const load = loadavg()[0];
const figures = medians([nodeAlone, cliHelp, cliHelpFromSource, referenceRun, pytorchReferenceRun], rounds);
const seconds = (name: string) => figures.get(name)!;
const ratio = seconds(referenceRun.name) / seconds(pytorchReferenceRun.name);
if (values.json) {
  console.log(JSON.stringify({ bench: 'startup', rounds, loadAverage: load, medians: Object.fromEntries(figures), referenceOverPytorch: ratio }));
} else {
  console.log(`Load average at start: ${load.toFixed(1)} on ${availableParallelism()} cores; medians of ${rounds} runs, whole processes.`);
  for (const [name, s] of figures) console.log(`  ${name.padEnd(34)} ${s.toFixed(3)} s`);
  console.log(`  rnnwb --help: target ≤ 0.15 s`);
  console.log(`  reference run / PyTorch: ${ratio.toFixed(2)} (target ≤ 0.5)`);
}
