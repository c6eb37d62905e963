/**
 * How the CLI ends: exit codes people and scripts can rely on. 0 only when the job is done; 1 when
 * the engine or the workbench failed; 2 for bad input (a readable line, nothing stored changed);
 * 130 when Ctrl-C stopped a run (a final checkpoint was written).
 */
import { WorkbenchError } from '../errors.ts';

export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.badInput) {
    super(message);
    this.name = 'CliError';
  }
}

export function badInput(message: string): CliError {
  return new CliError(message, EXIT.badInput);
}

/**
 * A deletion the API refused because another workbench process trains the run: its sentence speaks of
 * deleting "with force", which in the CLI is the --force flag.
 */
export function namingForceFlag(error: unknown): unknown {
  if (!(error instanceof WorkbenchError) || error.code !== 'trained-elsewhere') return error;
  return badInput(error.message.replace('delete it with force', 'use --force'));
}

/** The exit code and the one line to print for anything thrown by a command. */
export function describeFailure(error: unknown): { exitCode: ExitCode; line: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, line: error.message };
  // The API's and storage's own errors: a sentence for a person, and a code.
  if (error instanceof WorkbenchError) {
    const isInput = error.code === 'bad-input' || error.code === 'not-found' || error.code === 'conflict' || error.code === 'trained-elsewhere';
    return { exitCode: isInput ? EXIT.badInput : EXIT.failed, line: error.message };
  }
  // Errors from the storage layer and Node carry a readable message and a code-like name; no stack.
  const candidate = error as { message?: unknown; code?: unknown } | null;
  const message = typeof candidate?.message === 'string' && candidate.message ? candidate.message : String(error);
  const code = typeof candidate?.code === 'string' ? candidate.code : '';
  const isInput = code === 'bad-input' || code === 'not-found' || code === 'conflict' || code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES';
  return { exitCode: isInput ? EXIT.badInput : EXIT.failed, line: firstLine(message) };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
