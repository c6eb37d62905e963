/**
 * `rnnwb inspect` and `rnnwb ngram`: what a checkpoint's units have learned (units ranked by a
 * pattern, gate saturation, surprise by character class), and n-gram baselines of a run. The trace and
 * the n-gram models are computed in an inspect process (the API's startInspect / startNgram), polled
 * here; Ctrl-C cancels the job.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { InspectJob, InspectSource, RankMeasure, WorkbenchApi } from '../../api/contract.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { decodeExact, readCorpusBytes, resolveCorpusRef } from '../corpus-ref.ts';
import { badInput } from '../errors.ts';
import { parseWholeNumber } from '../hyper-flags.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { resolveWholeRun } from '../run-ref.ts';

const CHECKPOINT_HELP = 'a run (its best checkpoint) or RUN@STEP, RUN@best, RUN@final, #ID';
const POLL_MS = 100;

interface SourceOptions {
  text?: string;
  corpus?: string;
  val?: boolean;
  start?: number;
  length?: number;
}

function addSourceOptions(command: Command): Command {
  return command
    .option('--text <file>', 'a text file to read (not stored)')
    .option('--corpus <name|file>', 'a stored corpus name, or a text file')
    .option('--val', "the run's validation split (the default)")
    .option('--start <n>', 'first character of the corpus or validation split', parseWholeNumber)
    .option('--length <n>', 'characters to read (default 20,000)', parseWholeNumber);
}

export function registerInspectCommands(program: Command): void {
  addDbOption(addSourceOptions(
    program.command('inspect <checkpoint>')
      .description(`what the units of a checkpoint have learned (${CHECKPOINT_HELP}): without --find or --saturation, the loss by character class`),
  )
    .option('--find <regex>', 'rank every unit by how well it separates the positions the regular expression covers')
    .option('--top <k>', 'how many units to list with --find', parseWholeNumber, 10)
    .option('--measure <name>', 'auc (Mann–Whitney, ties half) or correlation (point-biserial)', 'auc')
    .option('--saturation', 'per layer and gate, the fractions of positions below 0.1 and above 0.9')
    .option('--csv <file>', 'also write the ranking (with --find) or the per-position loss as CSV')
    .option('--json', 'the result as one JSON object'),
  ).action(async (ref: string, options: SourceOptions & {
    find?: string; top: number; measure: string; saturation?: boolean; csv?: string; json?: boolean; db?: string;
  }) => {
    if (options.find !== undefined && options.saturation) throw badInput('Give --find or --saturation, not both.');
    if (options.measure !== 'auc' && options.measure !== 'correlation') throw badInput(`--measure must be auc or correlation (got "${options.measure}").`);
    if (options.top < 1) throw badInput('--top must be at least 1.');
    await withWorkbench(options, async ({ api }) => {
      const checkpoint = await api.resolveCheckpoint(ref);
      const source = await sourceOf(api, options);
      const started = await api.startInspect({ checkpointId: checkpoint.id, source });
      if (started.estimate?.note && !options.json) process.stderr.write(`note: ${started.estimate.note}\n`);
      const job = await follow(api, started, options.json === true);
      const traceId = job.resultId!;
      const summary = await api.inspectSummary(traceId);
      const about = { checkpoint: checkpoint.id, run: checkpoint.runName, step: checkpoint.step, source: summary.sourceLabel, positions: summary.positions, bitsPerChar: summary.bitsPerChar };
      if (options.find !== undefined) {
        const measure = options.measure as RankMeasure;
        const found = await api.inspectFindUnits({ traceId, pattern: options.find, top: options.top, measure });
        if (options.csv) await writeCsv(options.csv, (await api.inspectCsv({ traceId, what: 'ranking', pattern: options.find, measure })).csv);
        if (options.json) return printJson({ ...about, ...found });
        printLine(`${checkpoint.runName}@${checkpoint.step} on ${summary.sourceLabel}: ${found.marked.toLocaleString('en')} of ${found.positions.toLocaleString('en')} positions match ${JSON.stringify(options.find)}; units by ${measure === 'auc' ? 'AUC' : 'point-biserial correlation'}:`);
        printTable(['rank', 'unit', 'auc', 'r', 'score', 'higher'], found.units.map((u, i) => [i + 1, u.name, u.auc.toFixed(4), u.correlation.toFixed(4), u.score.toFixed(4), u.direction > 0 ? 'inside' : 'outside']));
        return;
      }
      if (options.saturation) {
        const result = await api.inspectSaturation(traceId);
        if (options.json) return printJson({ ...about, ...result });
        if (result.gates.length === 0) return printLine(`A plain RNN has no gates to saturate (${checkpoint.runName}@${checkpoint.step}).`);
        printLine(`${checkpoint.runName}@${checkpoint.step} on ${summary.sourceLabel}: fractions of positions per unit, averaged over the layer's ${summary.hidden} units.`);
        printTable(['layer', 'gate', 'mean < 0.1', 'mean > 0.9', 'units mostly < 0.1', 'units mostly > 0.9'], result.gates.map((g) => [
          g.layer, g.gate, mean(g.left).toFixed(3), mean(g.right).toFixed(3), g.left.filter((v) => v > 0.5).length, g.right.filter((v) => v > 0.5).length,
        ]));
        return;
      }
      const classes = await api.inspectClasses(traceId);
      if (options.csv) await writeCsv(options.csv, (await api.inspectCsv({ traceId, what: 'positions' })).csv);
      if (options.json) return printJson({ ...about, classes });
      printLine(`${checkpoint.runName}@${checkpoint.step} on ${summary.sourceLabel}: ${summary.bitsPerChar.toFixed(4)} bits per character.`);
      printTable(['class', 'chars', 'bits/char', 'share of bits'], classes.filter((c) => c.count > 0).map((c) => [
        c.class, c.count, c.bitsPerChar === null ? null : c.bitsPerChar.toFixed(3), `${((c.bits / (summary.bitsPerChar * (summary.positions - 1))) * 100).toFixed(1)}%`,
      ]));
    }, { readOnly: true });
  });

  addDbOption(addSourceOptions(
    program.command('ngram <run>')
      .description("interpolated Kneser–Ney character n-gram models fitted on the run's training split, scored in bits per character"),
  )
    .option('--n <range>', 'orders, e.g. 1..7 or 5', '1..7')
    .option('--json', 'the result as one JSON object'),
  ).action(async (ref: string, options: SourceOptions & { n: string; json?: boolean; db?: string }) => {
    const orders = parseOrders(options.n);
    await withWorkbench(options, async ({ api }) => {
      const run = await resolveWholeRun(api, ref, 'ngram');
      const source = await sourceOf(api, options);
      const job = await follow(api, await api.startNgram({ runId: run.id, maxOrder: orders.to, source }), options.json === true);
      const result = await api.inspectNgram(job.resultId!);
      const rows = result.orders.filter((o) => o.n >= orders.from);
      const best = rows.reduce((a, b) => (b.bitsPerChar < a.bitsPerChar ? b : a));
      if (options.json) return printJson({ run: run.id, name: run.name, positions: result.positions, trainChars: result.trainChars, orders: rows, best });
      printTable(['n', 'bits/char'], rows.map((o) => [o.n, o.bitsPerChar.toFixed(4)]));
      printLine(`best n-gram (n=${best.n}) ${best.bitsPerChar.toFixed(2)} bits/char on ${result.positions.toLocaleString('en')} characters; fitted on ${result.trainChars.toLocaleString('en')}.`);
    }, { readOnly: true });
  });
}

/** "1..7" → 1 to 7; "5" → 5 to 5. */
function parseOrders(text: string): { from: number; to: number } {
  const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(text);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || from < 1 || to > 12 || from > to) throw badInput(`--n must be an order from 1 to 12 or a range such as 1..7 (got "${text}").`);
  return { from, to };
}

async function sourceOf(api: WorkbenchApi, options: SourceOptions): Promise<InspectSource> {
  const given = [options.text !== undefined, options.corpus !== undefined, options.val === true].filter(Boolean).length;
  if (given > 1) throw badInput('Give one of --text, --corpus and --val.');
  const part = { ...(options.start !== undefined ? { start: options.start } : {}), ...(options.length !== undefined ? { length: options.length } : {}) };
  if (options.length !== undefined && options.length < 1) throw badInput('--length must be at least 1.');
  if (options.text !== undefined) {
    if (options.start !== undefined || options.length !== undefined) throw badInput('--start and --length apply to --corpus and --val; cut the file instead.');
    return { kind: 'text', text: decodeExact(await readCorpusBytes(options.text), options.text) };
  }
  if (options.corpus !== undefined) {
    const corpus = await resolveCorpusRef(api, options.corpus);
    if (corpus.kind === 'stored') return { kind: 'corpus', corpusId: corpus.corpus.id, ...part };
    const chars = Array.from(decodeExact(corpus.bytes, corpus.name));
    const start = options.start ?? 0;
    return { kind: 'text', text: chars.slice(start, start + (options.length ?? 20_000)).join('') };
  }
  return { kind: 'validation', ...part };
}

/** Polls a job to its end, showing progress on a terminal; Ctrl-C cancels it. Throws its failure as bad input. */
async function follow(api: WorkbenchApi, job: InspectJob, quiet: boolean): Promise<InspectJob> {
  const showProgress = !quiet && process.stderr.isTTY;
  let interrupted = false;
  const onInterrupt = () => (interrupted = true);
  process.on('SIGINT', onInterrupt);
  try {
    while (job.state === 'running') {
      if (interrupted) {
        job = await api.cancelInspect(job.jobId);
        break;
      }
      if (showProgress && job.total > 0) process.stderr.write(`\r${job.phase} ${Math.floor((job.done / job.total) * 100)}%   `);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await api.inspectStatus(job.jobId);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    if (showProgress) process.stderr.write('\r\x1b[K');
  }
  if (job.state === 'cancelled') throw badInput('Cancelled.');
  if (job.state === 'failed') throw badInput(job.message ?? 'The inspect job failed.');
  return job;
}

async function writeCsv(file: string, csv: string): Promise<void> {
  await writeFile(file, csv).catch((error: NodeJS.ErrnoException) => { throw badInput(`Cannot write "${file}": ${error.code ?? error.message}.`); });
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
