/**
 * What a host says when the database refuses a write of a run it trains. A full disk is the common
 * case: SQLite answers SQLITE_FULL (so does a database at its `max_page_count`), and every later
 * write of every run on that database would fail the same way — so the run whose write failed ends
 * 'failed' with the sentence below and the host's other runs are paused, not failed one by one.
 */

export function isDiskFull(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

/** The reason of the run whose write failed. `what`: what could not be written ("the checkpoint at step 20"). */
export function diskFullFailure(what: string, dbPath: string): string {
  return `The disk is full: ${what} could not be written to "${dbPath}". ` +
    'Free some space on that disk (or delete runs and checkpoints you no longer need), then continue the run from its last checkpoint.';
}

/** The reason of the other runs of that host, paused with no owner until someone resumes them. */
export function diskFullPause(failedRunName: string, dbPath: string): string {
  return `The disk is full: run "${failedRunName}" could not write to "${dbPath}", so this run was paused. ` +
    'Free some space on that disk, then resume it from its last checkpoint.';
}

/** Any other failed write (a read-only file, a corrupt database): the run stops with what was said. */
export function writeFailure(what: string, error: unknown): string {
  return `Could not store ${what}: ${oneLine(error)}`;
}

/** One line for a log: never a stack trace. */
export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
