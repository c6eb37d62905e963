/**
 * The runs of one host waiting for a training slot, in order: stored 'queued' runs waiting to start,
 * and paused runs waiting to resume (those go first: their engine and memory are taken already).
 * It holds order only; whether a slot is free is the run manager's business.
 */
import type { Id } from '../api/contract.ts';

export class RunQueue {
  private readonly ids: Id[] = [];

  get size(): number {
    return this.ids.length;
  }

  has(runId: Id): boolean {
    return this.ids.includes(runId);
  }

  /** At the back; false when it is queued already. */
  add(runId: Id): boolean {
    if (this.has(runId)) return false;
    this.ids.push(runId);
    return true;
  }

  /** At the front (a paused run waiting to resume). */
  addFirst(runId: Id): void {
    this.remove(runId);
    this.ids.unshift(runId);
  }

  /** Takes a run out; true when it was there. */
  remove(runId: Id): boolean {
    const index = this.ids.indexOf(runId);
    if (index < 0) return false;
    this.ids.splice(index, 1);
    return true;
  }

  /** The first run, taken out; undefined when none waits. */
  next(): Id | undefined {
    return this.ids.shift();
  }

  /** Every run, taken out, in order. */
  drain(): Id[] {
    return this.ids.splice(0);
  }
}
