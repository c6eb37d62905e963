/**
 * The errors main throws on purpose, at every layer: a message written for a person and a code that says
 * what kind of failure it is. Storage throws StorageError, the API ApiError (both are these); the
 * dispatcher (api/dispatch.ts) sends any of them over the wire, the CLI maps the code to an exit code.
 * Browser-safe and import-free: the renderer loads it through the contract.
 */

// 'trained-elsewhere': a deletion refused because another workbench process trains the run; the same
// call with `force` has that process stop it first (the UI offers that as a button, the CLI as --force).
export const ERROR_CODES = ['bad-input', 'not-found', 'conflict', 'trained-elsewhere', 'engine', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class WorkbenchError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'bad-input',
  ) {
    super(message);
    this.name = 'WorkbenchError';
  }
}

/** A code received from elsewhere (a frame, an IPC answer); one it does not know is 'internal'. */
export function toErrorCode(code: unknown): ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code) ? (code as ErrorCode) : 'internal';
}
