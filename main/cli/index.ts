/**
 * `rnnwb`: the workbench from a terminal. Every command takes --db and --help; bad input ends with
 * one readable line on stderr and exit code 2, never a stack trace (see errors.ts for the codes).
 */
import { Command, CommanderError } from 'commander';
import { registerCorpusCommands } from './commands/corpus.ts';
import { registerTrainCommands } from './commands/train.ts';
import { registerRunCommands } from './commands/runs.ts';
import { registerPlaygroundCommands } from './commands/playground.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerTransferCommands } from './commands/transfer.ts';
import { registerProjectCommands } from './commands/project.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTrashCommands } from './commands/trash.ts';
import { registerEngineCommands } from './commands/engines.ts';
import { outcome } from './context.ts';
import { EXIT, describeFailure, type ExitCode } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('rnnwb')
    .description('Recurrent Workbench: train and study character-level LSTM, GRU and RNN networks.')
    .exitOverride()
    // A usage error and commander's "(Did you mean …?)" hint make one line, like every other refusal.
    .configureOutput({ writeErr: (text) => process.stderr.write(text.trimEnd().replace(/\s*\n\s*/g, ' ') + '\n') });
  registerCorpusCommands(program);
  registerTrainCommands(program);
  registerRunCommands(program);
  registerPlaygroundCommands(program);
  registerInspectCommands(program);
  registerTransferCommands(program);
  registerProjectCommands(program);
  registerServeCommand(program);
  registerTrashCommands(program);
  registerEngineCommands(program);
  // Subcommands inherit the exit override, so a usage error is ours to map to exit code 2.
  for (const command of allCommands(program)) command.exitOverride();
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

export async function main(argv: string[]): Promise<ExitCode> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv);
    return outcome.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one line already (or the help).
      const benign = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return benign ? EXIT.ok : EXIT.badInput;
    }
    const { exitCode, line } = describeFailure(error);
    process.stderr.write(`rnnwb: ${line}\n`);
    return exitCode;
  }
}
