/** `rnnwb export-project` and `import-run`: a run as a folder to train anywhere, and back (main/runs/project.ts). */
import type { Command } from 'commander';
import { exportProject, importProject } from '../../runs/project.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput } from '../errors.ts';
import { parseWholeNumber } from '../hyper-flags.ts';
import { printJson, printLine } from '../output.ts';
import { resolveWholeRun } from '../run-ref.ts';

/** A problem with the folder or the run is the user's to fix: one sentence, exit code 2. */
function asBadInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw badInput((error as Error).message);
  }
}

export function registerProjectCommands(program: Command): void {
  addDbOption(
    program.command('export-project <run> <dir>')
      .description('write the run as a folder that trains anywhere with PyTorch (one GPU, torchrun, Slurm: see its README)')
      .option('--steps <n>', 'where the project ends (default: the run\'s planned length)', parseWholeNumber),
  ).action(async (ref: string, dir: string, options: { steps?: number; db?: string }) => {
    await withWorkbench(options, async ({ api, storage }) => {
      const run = await resolveWholeRun(api, ref, 'export-project');
      const job = asBadInput(() => exportProject(storage, run.id, dir, options.steps));
      printLine(`Wrote run ${run.id} "${run.name}" to ${dir}: steps ${job.startStep + 1}–${job.targetSteps}. Run it with: cd ${dir} && python3 trainer/main.py --project . (more ways in its README.md)`);
    });
  });

  addDbOption(
    program.command('import-run <dir>')
      .description('bring an exported project\'s curves and checkpoints back into its run (again at any time: nothing is added twice)')
      .option('--json', 'the report as one JSON object'),
  ).action(async (dir: string, options: { json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ storage }) => {
      const report = asBadInput(() => importProject(storage, dir));
      if (options.json) return printJson(report);
      const ended = report.ended ? `; it ended ${report.ended}` : '';
      printLine(`Imported into run ${report.runId} "${report.name}": ${report.progressAdded} steps of metrics, ${report.checkpointsAdded} checkpoints${ended}.`);
      for (const line of report.missing) printLine(`Not imported: ${line}`);
    });
  });
}
