/**
 * How the CLI ends: exit codes people and scripts can rely on. 0 only when the job is done; 1 when
 * the engine or the workbench failed; 2 for bad input (a readable line, nothing stored changed);
 * 130 when Ctrl-C stopped a run (a final checkpoint was written).
 */
import { ApiError } from '../api/contract.ts';

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

/** The exit code and the one line to print for anything thrown by a command. */
export function describeFailure(error: unknown): { exitCode: ExitCode; line: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, line: error.message };
  if (error instanceof ApiError) {
    const isInput = error.code === 'bad-input' || error.code === 'not-found' || error.code === 'conflict';
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
