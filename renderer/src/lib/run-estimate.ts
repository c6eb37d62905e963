/**
 * What hyperparameters (already valid) mean on a corpus, as the New-run form shows it while you type:
 * parameters, memory, training windows and steps, by the engine's own counts — so the numbers are the
 * ones the run will have, stride included. The host's check replaces them when it answers.
 */
import { memoryEstimate, parameterCount, validateAgainstCorpus, type Hyperparameters } from '../../../engine/config.ts';
import { totalSteps, trainingWindows } from '../../../engine/train/run-length.ts';

export interface RunEstimate {
  parameters: number;
  memory: number;
  windows: number;
  steps: number;
  corpusError: string | null;
}

export function estimateRun(h: Hyperparameters, corpus: { chars: number; distinct: number }): RunEstimate {
  const corpusError = validateAgainstCorpus(h, corpus.chars);
  const windows = corpusError === null ? trainingWindows(h, corpus.chars) : 0;
  return {
    parameters: parameterCount(h, corpus.distinct),
    memory: memoryEstimate(h, corpus.distinct, windows),
    windows,
    steps: totalSteps(h, windows),
    corpusError,
  };
}
