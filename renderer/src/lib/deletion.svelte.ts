/**
 * One confirmed deletion, as its dialog shows it. The host refuses to delete a run another workbench
 * process is training (error code 'trained-elsewhere') with a sentence naming that process; the dialog
 * then shows the sentence and offers "Stop it and delete": the same call with `force`, which has that
 * process stop the run first and so takes a moment — the dialog says so meanwhile. What is deleted goes
 * to the host's trash, and the Undo toast (undo.svelte.ts) offers it back.
 */
import type { TrashItem } from '../../../main/api/contract.ts';
import { messageOf } from './api.ts';
import { undo } from './undo.svelte.ts';

export type DeleteOptions = { force: boolean };

export class Deletion {
  /** The host's refusal while the run is trained elsewhere; the next attempt is forced. */
  refusal = $state<string | null>(null);
  /** A deletion call is on its way (the dialog's buttons wait). */
  working = $state(false);
  /** A forced deletion waits for the other process to stop the run. */
  stopping = $derived(this.working && this.refusal !== null);

  /** Deletes, forced after a refusal. False when refused (the dialog stays open with the sentence); other errors throw. */
  async attempt(remove: (options: DeleteOptions) => Promise<TrashItem>): Promise<boolean> {
    if (this.working) return false;
    const force = this.refusal !== null;
    this.working = true;
    try {
      // It went to the trash: the toast offers to put it back.
      undo.offer(await remove({ force }));
      this.refusal = null;
      return true;
    } catch (error) {
      if (force || !isTrainedElsewhere(error)) {
        this.refusal = null;
        throw error;
      }
      this.refusal = messageOf(error);
      return false;
    } finally {
      this.working = false;
    }
  }

  reset(): void {
    this.refusal = null;
  }
}

/**
 * The WebSocket transport keeps the host's error code; Electron's preload can only pass it on in the
 * error's name ("ApiError(trained-elsewhere)").
 */
function isTrainedElsewhere(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === 'trained-elsewhere' || name === 'ApiError(trained-elsewhere)';
}
