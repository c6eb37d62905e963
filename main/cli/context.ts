/**
 * Running one command: open the workbench on --db, run the body, close the workbench, remember the
 * exit code. Closing pauses whatever still runs (serve's runs); a command that trains follows its runs
 * to their end first.
 */
import type { Command } from 'commander';
import { defaultDatabasePath } from './default-db.ts';
import { EXIT, type ExitCode } from './errors.ts';
import { openWorkbench, type Workbench } from './workbench.ts';

/** The exit code of the command that ran (index.ts exits with it). */
export const outcome: { exitCode: ExitCode } = { exitCode: EXIT.ok };

export function addDbOption(command: Command): Command {
  return command.option('--db <file>', 'workbench database (default: $RW_DB, else $XDG_DATA_HOME/recurrent-workbench/workbench.db)');
}

export async function withWorkbench(
  options: { db?: string },
  body: (wb: Workbench) => Promise<ExitCode | void>,
  hostOptions: { host?: boolean } = {},
): Promise<void> {
  const workbench = openWorkbench(options.db ?? defaultDatabasePath(), hostOptions);
  try {
    outcome.exitCode = (await body(workbench)) ?? EXIT.ok;
  } finally {
    await workbench.close();
  }
}
