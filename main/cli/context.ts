/**
 * Running one command: open the workbench on --db, run the body, close the workbench, remember the
 * exit code. Closing pauses whatever still runs (serve's runs); a command that trains follows its runs
 * to their end first. A command that only reads says so (`{ readOnly: true }`): it then creates and
 * upgrades nothing.
 */
import type { Command } from 'commander';
import { resolveDatabasePath } from '../storage/paths.ts';
import { EXIT, type ExitCode } from './errors.ts';
import { openWorkbench, type Workbench, type WorkbenchOptions } from './workbench.ts';

/** The exit code of the command that ran (index.ts exits with it). */
export const outcome: { exitCode: ExitCode } = { exitCode: EXIT.ok };

export function addDbOption(command: Command): Command {
  return command.option('--db <file>', 'workbench database (default: $RW_DB, else $XDG_DATA_HOME/recurrent-workbench/workbench.db)');
}

export async function withWorkbench(
  options: { db?: string },
  body: (wb: Workbench) => Promise<ExitCode | void>,
  workbenchOptions: WorkbenchOptions = {},
): Promise<void> {
  const workbench = openWorkbench(options.db ?? resolveDatabasePath(), workbenchOptions);
  try {
    outcome.exitCode = (await body(workbench)) ?? EXIT.ok;
  } finally {
    await workbench.close();
  }
}
