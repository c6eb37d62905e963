/** `rnnwb runs`, `show`, `rm`, `rename`, `compare`: what is stored about runs. */
import type { Command } from 'commander';
import { segmentLabel, segmentPlacement, type RunDetail } from '../../api/contract.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput, namingForceFlag } from '../errors.ts';
import { formatLoss, printJson, printLine, printListing, printTable } from '../output.ts';
import { parseWholeNumber } from '../hyper-flags.ts';
import { isCheckpointRef, resolveWholeRun } from '../run-ref.ts';
import { restoreHint } from './trash.ts';

export function registerRunCommands(program: Command): void {
  addDbOption(
    program.command('runs')
      .description('list runs')
      .option('--json', 'one JSON object per line'),
  ).action(async (options: { json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      printListing(await api.listRuns(), {
        json: options.json,
        whenEmpty: 'No runs yet. Start one with: rnnwb train --corpus FILE',
        header: ['id', 'name', 'status', 'corpus', 'cell', 'step', 'of', 'train loss', 'val loss', 'created'],
        row: (r) => [
          r.id, r.name, r.status, r.corpusName, `${r.hyper.cell}×${r.hyper.layers} ${r.hyper.hidden}`, r.step, r.totalSteps,
          formatLoss(r.lastTrainLoss), formatLoss(r.lastValLoss), r.createdAt,
        ],
      });
    }, { readOnly: true });
  });

  addDbOption(
    program.command('show <run>')
      .description('everything stored about a run; the first line is its status')
      .option('--json', 'the run as one JSON object'),
  ).action(async (ref: string, options: { json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const run = await api.getRun((await resolveWholeRun(api, ref, 'show')).id);
      if (options.json) return printJson(run);
      printRun(run);
    }, { readOnly: true });
  });

  addDbOption(
    program.command('rm <run>').description('delete a run with its checkpoints, samples and metrics; RUN@STEP or #ID deletes just that checkpoint')
      .option('--force', 'a run another workbench process is training: ask that process to stop it, then delete it'),
  ).action(async (ref: string, options: { force?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      if (isCheckpointRef(ref)) {
        const checkpoint = await api.resolveCheckpoint(ref);
        const trashed = await api.deleteCheckpoint(checkpoint.id);
        printLine(`Deleted checkpoint #${checkpoint.id} (${checkpoint.runName}@${checkpoint.step}); run "${checkpoint.runName}" keeps its other checkpoints. ${restoreHint(trashed.id)}`);
        return;
      }
      const run = await api.resolveRun(ref);
      const impact = await api.runDeleteImpact(run.id);
      const trashed = await api.deleteRun(run.id, { force: options.force ?? false }).catch((error: unknown) => { throw namingForceFlag(error); });
      printLine(`Deleted run ${run.id} "${run.name}" (${impact.checkpoints} checkpoints, ${impact.samples} samples, ${impact.metrics} metric points). ${restoreHint(trashed.id)}`);
    });
  });

  addDbOption(
    program.command('rename <run> <name>').description('rename a run'),
  ).action(async (ref: string, name: string, options: { db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const run = await resolveWholeRun(api, ref, 'rename');
      const renamed = await api.renameRun(run.id, name);
      printLine(`Run ${renamed.id} is now "${renamed.name}".`);
    });
  });

  addDbOption(
    program.command('compare <runs...>')
      .description('hyperparameters and metrics of runs (their best checkpoints) or checkpoints (RUN@STEP, #ID) side by side')
      .option('--csv', 'print the comparison table as CSV')
      .option('--curves', 'with --csv: print the loss curves as CSV instead')
      .option('--prompt <text>', 'also generate from this prompt with every run')
      .option('--length <n>', 'characters to generate with --prompt', parseWholeNumber),
  ).action(async (refs: string[], options: { csv?: boolean; curves?: boolean; prompt?: string; length?: number; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      // Runs come first in the table, then the checkpoints, each in the order given.
      const runIds: number[] = [];
      const checkpointIds: number[] = [];
      for (const ref of refs) {
        if (isCheckpointRef(ref)) {
          const checkpoint = await api.resolveCheckpoint(ref);
          if (checkpointIds.includes(checkpoint.id)) throw badInput(`Checkpoint #${checkpoint.id} (${ref}) is named twice.`);
          checkpointIds.push(checkpoint.id);
        } else {
          const run = await api.resolveRun(ref);
          if (runIds.includes(run.id)) throw badInput(`Run "${run.name}" is named twice.`);
          runIds.push(run.id);
        }
      }
      const input = { runIds, checkpointIds, prompt: options.prompt, sampleLength: options.length };
      if (options.csv) {
        const csv = await api.compareCsv(input);
        process.stdout.write(ensureNewline(options.curves ? csv.curves : csv.table));
        return;
      }
      const result = await api.compare(input);
      const header = ['', ...result.columns.map((c) => `${c.runName}${c.step !== null ? `@${c.step}` : ''}`)];
      const rows = [...result.hyperparameters, ...result.metrics].map((row) => [
        `${row.differs ? '*' : ' '} ${row.field}`,
        ...row.values.map((v, i) => (v === null ? null : `${typeof v === 'number' ? round(v) : v}${row.best.includes(i) ? ' ←' : ''}`)),
      ]);
      printTable(header, rows);
      if (options.prompt !== undefined) {
        printLine();
        result.columns.forEach((c, i) => {
          printLine(`${c.runName}: ${result.samples.texts[i] ?? `(${result.samples.errors[i] ?? 'no sample'})`}`);
        });
      }
    }, { readOnly: true });
  });
}

function printRun(run: RunDetail): void {
  printLine(`status: ${run.status}${run.reason ? ` — ${run.reason}` : ''}`);
  printLine(`run: ${run.id} "${run.name}"`);
  printLine(`corpus: ${run.corpusName ?? '—'}${run.corpusId !== null ? ` (#${run.corpusId})` : ''}`);
  if (run.parentRunId !== null) printLine(`continues: run ${run.parentRunId}`);
  if (run.sweepId !== null) printLine(`sweep: ${run.sweepId}`);
  printLine(`step: ${run.step} of ${run.totalSteps}`);
  printLine(`parameters: ${run.parameterCount}, vocabulary: ${run.vocabSize}`);
  printLine(`train loss: ${formatLoss(run.lastTrainLoss) ?? '—'}, validation loss: ${formatLoss(run.lastValLoss) ?? '—'}, best: ${formatLoss(run.bestValLoss) ?? '—'}`);
  if (run.charsPerSec !== null) printLine(`speed: ${Math.round(run.charsPerSec)} chars/s`);
  printLine(`created: ${run.createdAt}${run.startedAt ? `, started: ${run.startedAt}` : ''}${run.endedAt ? `, ended: ${run.endedAt}` : ''}`);
  printLine(`hyperparameters: ${Object.entries(run.hyper).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const r = run.reproduction;
  printLine(`reproduction: app ${r.appVersion}, kernels ${r.kernelPath ?? '—'}, threads ${r.threads}, seed ${r.seed}, corpus sha256 ${r.corpusSha256 ?? '—'}`);
  for (const segment of r.segments ?? []) {
    const placement = segmentPlacement(segment);
    const details = segment.engine === 'pytorch'
      ? `torch ${segment.torchVersion ?? '?'}${placement ? `, ${placement}` : ''}`
      : `kernels ${segment.kernelPath ?? '—'}, threads ${segment.threads}`;
    printLine(`engine: ${segmentLabel(segment)} from step ${segment.fromStep} (${details})`);
  }
  printLine(`checkpoints (${run.checkpoints.length}):`);
  for (const c of run.checkpoints) {
    printLine(`  #${c.id} ${run.name}@${c.step} ${c.kind}  train ${formatLoss(c.trainLoss) ?? '—'}  val ${formatLoss(c.valLoss) ?? '—'}  ${c.bytes} bytes`);
  }
  if (run.latestSample) {
    printLine(`latest sample (step ${run.latestSample.step}, temperature ${run.latestSample.temperature}):`);
    printLine(`  ${JSON.stringify(run.latestSample.text)}`);
  }
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)));
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}
