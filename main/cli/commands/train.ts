/** `rnnwb train`, `resume` and `sweep`: start runs and follow them to their end. */
import type { Command } from 'commander';
import { describeFieldErrors, validateAgainstCorpus } from '../../../engine/config.ts';
import { expandGrid } from '../../runs/plan.ts';
import { loneRunThreads } from '../../runs/thread-share.ts';
import type { WorkbenchApi } from '../../api/contract.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import type { WorkbenchOptions } from '../workbench.ts';
import { corpusLength, resolveCorpusRef, storeCorpus, type CorpusRef } from '../corpus-ref.ts';
import { badInput } from '../errors.ts';
import { createAndFollow } from '../follow.ts';
import { addFieldFlags, addTrainingFlags, fieldFlagValues, parseGrid, parseWholeNumber, trainingChoice, type TrainingChoice } from '../hyper-flags.ts';
import { resolveWholeRun } from '../run-ref.ts';

/** A continuation may move to another engine and device; everything else is the original's. */
const RESUME_FIELDS = ['engine', 'device'] as const;

export function registerTrainCommands(program: Command): void {
  addDbOption(addTrainingFlags(
    program.command('train')
      .description('train a network on a corpus (Ctrl-C stops cleanly with a final checkpoint)')
      .requiredOption('--corpus <name|file>', 'a stored corpus name, or a text file (stored once, reused by content)')
      .option('--name <name>', 'run name'),
  ).option('--json', 'JSON lines on stdout: start, progress, checkpoint, done'))
    .action(async (options: Record<string, unknown> & { corpus: string; name?: string; json?: boolean; db?: string }) => {
      const choice = trainingChoice(options);
      await withWorkbench(options, async ({ api }) => {
        const ref = await resolveCorpusRef(api, options.corpus);
        await refuseBadChoice(api, ref, choice);
        const corpus = await storeCorpus(api, ref);
        return createAndFollow(api, async () => [
          await api.createRun({ corpusId: corpus.id, name: options.name, preset: choice.preset, hyper: choice.hyper }),
        ], { json: Boolean(options.json) });
      }, spareEngineFor(choice));
    });

  addDbOption(addFieldFlags(
    program.command('resume <run>')
      .description('continue a run as a new linked run, keeping its step numbering (on another engine with --engine)')
      .option('--from <checkpoint>', 'checkpoint to continue from (RUN@STEP, RUN@best, RUN@final, #ID; default the latest)')
      .option('--steps <n>', 'total step count to reach (default the original\'s)', parseWholeNumber)
      .option('--name <name>', 'name of the new run')
      .option('--json', 'JSON lines on stdout: start, progress, checkpoint, done'),
    RESUME_FIELDS,
  )).action(async (runRef: string, options: { from?: string; steps?: number; name?: string; json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const run = await resolveWholeRun(api, runRef, 'resume');
      let checkpointId: number | undefined;
      if (options.from !== undefined) {
        const checkpoint = await api.resolveCheckpoint(options.from);
        if (checkpoint.runId !== run.id) {
          throw badInput(`Checkpoint ${options.from} belongs to run "${checkpoint.runName}", not "${run.name}".`);
        }
        checkpointId = checkpoint.id;
      }
      if (options.steps !== undefined && options.steps < 1) throw badInput('--steps must be at least 1.');
      return createAndFollow(api, async () => [
        await api.continueRun({ runId: run.id, checkpointId, steps: options.steps, name: options.name, ...fieldFlagValues(options, RESUME_FIELDS) }),
      ], { json: Boolean(options.json) });
    });
  });

  addDbOption(addTrainingFlags(
    program.command('sweep')
      .description('train one run per combination of --grid values')
      .requiredOption('--corpus <name|file>', 'a stored corpus name, or a text file')
      .requiredOption('--grid <field=v1,v2...>', 'a hyperparameter and its values (repeat for more fields)', (value: string, previous: string[] = []) => [...previous, value])
      .option('--name <name>', 'name prefix of the runs'),
  ).option('--json', 'JSON lines on stdout for every run'))
    .action(async (options: Record<string, unknown> & { corpus: string; grid: string[]; name?: string; json?: boolean; db?: string }) => {
      const choice = trainingChoice(options);
      const grid = parseGrid(options.grid);
      await withWorkbench(options, async ({ api }) => {
        const ref = await resolveCorpusRef(api, options.corpus);
        // Every grid point must be usable before any run is stored.
        for (const point of expandGrid(grid)) {
          await refuseBadChoice(api, ref, { preset: choice.preset, hyper: { ...choice.hyper, ...point } });
        }
        const corpus = await storeCorpus(api, ref);
        return createAndFollow(api, async () => {
          const sweep = await api.createSweep({ corpusId: corpus.id, name: options.name, preset: choice.preset, base: choice.hyper, grid });
          return sweep.runs;
        }, { json: Boolean(options.json) });
      });
    });
}

/**
 * One run on the built-in engine gets every core (the run manager's share for a lone run), so its engine
 * can start with them while the command stores the corpus and the run. Not for PyTorch runs, nor sweeps
 * (their runs share the cores), nor an explicit thread count (the run manager's to settle).
 */
function spareEngineFor(choice: TrainingChoice): WorkbenchOptions {
  const { engine, threads } = choice.hyper;
  if ((engine !== undefined && engine !== 'builtin') || (threads !== undefined && threads !== 0)) return {};
  return { spareEngineThreads: loneRunThreads() };
}

/** Refuses hyperparameters (or a corpus) that cannot train, before anything is stored. */
async function refuseBadChoice(api: WorkbenchApi, ref: CorpusRef, choice: TrainingChoice): Promise<void> {
  const check = await api.checkHyperparameters({
    corpusId: ref.kind === 'stored' ? ref.corpus.id : ref.existing?.id,
    preset: choice.preset,
    hyper: choice.hyper,
  });
  const fieldErrors = describeFieldErrors(check.errors);
  if (fieldErrors) throw badInput(fieldErrors);
  const corpusError = check.corpusError ?? validateAgainstCorpus(check.hyper, corpusLength(ref));
  if (corpusError) throw badInput(corpusError);
}
