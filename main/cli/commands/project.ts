/** `rnnwb export-project` and `import-run`: a run as a folder to train anywhere, and back (main/runs/project.ts). */
import path from 'node:path';
import type { Command } from 'commander';
import { addDbOption, withWorkbench } from '../context.ts';
import { parseWholeNumber } from '../hyper-flags.ts';
import { printJson, printLine } from '../output.ts';
import { resolveWholeRun } from '../run-ref.ts';

export function registerProjectCommands(program: Command): void {
  addDbOption(
    program.command('export-project <run> <dir>')
      .description('write the run as a folder that trains anywhere with PyTorch (one GPU, torchrun, Slurm: see its README)')
      .option('--steps <n>', 'where the project ends (default: the run\'s planned length)', parseWholeNumber),
  ).action(async (ref: string, dir: string, options: { steps?: number; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const run = await resolveWholeRun(api, ref, 'export-project');
      const project = await api.exportProject({ runId: run.id, dir: path.resolve(dir), steps: options.steps });
      printLine(`Wrote run ${run.id} "${run.name}" to ${dir}: steps ${project.startStep + 1}–${project.targetSteps}. Run it with: cd ${dir} && ${project.command} (more ways in its README.md)`);
    });
  });

  addDbOption(
    program.command('import-run <dir>')
      .description('bring an exported project\'s curves and checkpoints back into its run (again at any time: nothing is added twice)')
      .option('--json', 'the report as one JSON object'),
  ).action(async (dir: string, options: { json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const report = await api.importRun({ dir: path.resolve(dir) });
      if (options.json) return printJson(report);
      const ended = report.ended ? `; it ended ${report.ended}` : '';
      printLine(`Imported into run ${report.runId} "${report.name}": ${report.progressAdded} steps of metrics, ${report.checkpointsAdded} checkpoints${ended}.`);
      for (const line of report.missing) printLine(`Not imported: ${line}`);
    });
  });
}
