/**
 * How many threads a built-in run trains on: a run alone gets every core (at most 64, the kernels'
 * limit), runs sharing the machine one each; a run's own `threads` (0 = automatic) is an upper bound.
 * The run manager applies it; `rnnwb train` and the engines' description read the lone run's share.
 */
import { availableParallelism } from 'node:os';

const MAX_THREADS = 64;

/** The threads of a run that has the machine to itself. */
export function loneRunThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(MAX_THREADS, cores));
}

/** The threads of a run that wants `wanted` (0 = automatic), when `sharing` says other runs train or wait. */
export function threadShare(wanted: number, cores: number, sharing: boolean): number {
  const available = sharing ? 1 : loneRunThreads(cores);
  return Math.max(1, wanted === 0 ? available : Math.min(wanted, available));
}
