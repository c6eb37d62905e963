/**
 * Learning-rate schedules, as closed forms of PyTorch's schedulers:
 *   constant:  lr
 *   step:      lr · γ^⌊step / decayEvery⌋                     (StepLR)
 *   cosine:    lr · (1 + cos(π · step / totalSteps)) / 2      (CosineAnnealingLR, T_max = totalSteps, eta_min 0)
 * `step` is the 0-based index of the step about to run. Past totalSteps the cosine stays at 0 (PyTorch
 * would climb again; a resumed run should not).
 */
import type { Hyperparameters } from '../config.ts';

export function learningRateAt(
  h: Pick<Hyperparameters, 'lr' | 'schedule' | 'decayEvery' | 'decayGamma'>,
  step: number,
  totalSteps: number,
): number {
  switch (h.schedule) {
    case 'constant':
      return h.lr;
    case 'step':
      return h.lr * h.decayGamma ** Math.floor(step / h.decayEvery);
    case 'cosine': {
      if (totalSteps <= 0) return h.lr;
      const progress = Math.min(Math.max(step, 0), totalSteps) / totalSteps;
      return (h.lr * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}
