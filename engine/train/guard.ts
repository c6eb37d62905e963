/**
 * The two reasons a run ends before its last step on its own: divergence (a loss or gradient norm that
 * is NaN or ±Inf, or a finite training loss far above an untrained model's, after which nothing the
 * optimizer does means anything) and early stopping (the validation loss stopped improving). Early
 * stopping counts evaluations, not steps: `patience` = how many evaluations in a row may fail to beat
 * the best before the run stops (0 = never).
 */
import { TrainingError } from './validate.ts';

/** Throws a `TrainingError` naming the step and what to try when the loss or gradient norm is not finite. */
export function checkFinite(step: number, loss: number, gradNorm: number, lr: number, clip: number): void {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
  diverged(step, !Number.isFinite(loss) ? `the loss became ${String(loss)}` : `the gradient norm became ${String(gradNorm)}`, lr, clip);
}

/**
 * The highest training loss a run may reach: 3 · ln V. An untrained model guesses uniformly, loss ln V;
 * char-rnn aborts at 3× its first loss, and ln V is that first loss for a fresh model. Unlike the first
 * loss, ln V stays the same when a run resumes from a well-trained checkpoint (whose first loss may be
 * 0.1, where 3× would flag ordinary noise). One character (V = 1) has nothing to learn: no limit.
 */
export function lossLimit(vocabSize: number): number {
  return vocabSize > 1 ? 3 * Math.log(vocabSize) : Infinity;
}

/**
 * Flags a finite blow-up: the training loss, averaged over recent steps, above `lossLimit(V)`. The
 * average (an exponential one, β = 0.9, bias-corrected as Adam's moments are, so step 1 counts in full)
 * keeps one surprising batch from ending a healthy run: with batch 1 a single unlikely character can
 * cost 11 nats while the run is fine. A true blow-up (loss 700 on V = 28) crosses the line at once.
 */
export class BlowUpGuard {
  private average = 0;
  private weight = 0;

  constructor(private readonly vocabSize: number) {}

  /** Records one step's training loss; throws a `TrainingError`, as for NaN, past the limit. */
  record(step: number, loss: number, lr: number, clip: number): void {
    if (!Number.isFinite(loss)) return; // checkFinite names that
    this.average = BLOW_UP_BETA * this.average + (1 - BLOW_UP_BETA) * loss;
    this.weight = BLOW_UP_BETA * this.weight + (1 - BLOW_UP_BETA);
    const smoothed = this.average / this.weight;
    const limit = lossLimit(this.vocabSize);
    if (!(smoothed > limit)) return;
    diverged(
      step,
      `the training loss, averaged over recent steps, reached ${smoothed.toFixed(1)}, more than 3 × ln ${this.vocabSize} = ${limit.toFixed(1)} (three times an untrained model's)`,
      lr,
      clip,
    );
  }
}

const BLOW_UP_BETA = 0.9;

function diverged(step: number, what: string, lr: number, clip: number): never {
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
