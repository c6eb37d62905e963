/**
 * The two reasons a run ends before its last step on its own: divergence (a loss or gradient norm that
 * is NaN or ±Inf, after which nothing the optimizer does means anything) and early stopping (the
 * validation loss stopped improving). Early stopping counts evaluations, not steps: `patience` = how
 * many evaluations in a row may fail to beat the best before the run stops (0 = never).
 */
import { TrainingError } from './validate.ts';

/** Throws a `TrainingError` naming the step and what to try when the loss or gradient norm is not finite. */
export function checkFinite(step: number, loss: number, gradNorm: number, lr: number, clip: number): void {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
  const what = !Number.isFinite(loss) ? `the loss became ${String(loss)}` : `the gradient norm became ${String(gradNorm)}`;
  const hints = [`lower the learning rate (now ${lr})`];
  if (clip === 0) hints.push('enable gradient clipping (e.g. clip 5)');
  else hints.push(`clip harder (now ${clip})`);
  throw new TrainingError(`Training diverged at step ${step}: ${what}. Try to ${hints.join(' or ')}.`, step);
}

export interface EarlyStoppingState {
  best: number;
  evalsSinceBest: number;
}

export class EarlyStopping {
  best = Infinity;
  evalsSinceBest = 0;

  constructor(readonly patience: number) {}

  /** Records one validation loss; true when it is a new best. */
  record(valLoss: number): boolean {
    if (valLoss < this.best) {
      this.best = valLoss;
      this.evalsSinceBest = 0;
      return true;
    }
    this.evalsSinceBest++;
    return false;
  }

  get shouldStop(): boolean {
    return this.patience > 0 && this.evalsSinceBest >= this.patience;
  }

  getState(): EarlyStoppingState {
    return { best: this.best, evalsSinceBest: this.evalsSinceBest };
  }

  setState(s: EarlyStoppingState): void {
    this.best = s.best;
    this.evalsSinceBest = s.evalsSinceBest;
  }
}
