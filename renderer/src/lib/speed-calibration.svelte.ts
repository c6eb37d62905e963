/**
 * New run's calibration of this machine (api.calibrateSpeed), asked only while no past run gives a
 * speed: debounced as the fields change, and an answer for settings no longer shown is dropped.
 */
import type { Hyperparameters } from '../../../engine/config.ts';
import type { Id } from '../../../main/api/contract.ts';
import { api } from './api.ts';
import type { Calibration } from './run-duration.ts';

class SpeedCalibrationState {
  /** The answer for `key`; null while measuring or when it cannot be measured. */
  result = $state.raw<{ key: string; calibration: Calibration | null } | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wanted = $state('');

  /** Wants a calibration for these settings (the latest call wins). */
  request(corpusId: Id, hyper: Hyperparameters): void {
    const key = JSON.stringify([corpusId, hyper]);
    if (key === this.#wanted) return;
    this.#wanted = key;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(async () => {
      let calibration: Calibration | null = null;
      try {
        calibration = await api.calibrateSpeed({ corpusId, hyper });
      } catch {
        // Not measurable here (PyTorch, or settings the host refuses): the form says the duration is unknown.
      }
      if (this.#wanted === key) this.result = { key, calibration };
    }, 400);
  }

  /** The calibration for these settings, if it has come. */
  for(corpusId: Id, hyper: Hyperparameters): Calibration | null {
    const result = this.result;
    return result && result.key === JSON.stringify([corpusId, hyper]) ? result.calibration : null;
  }

  /** Whether these settings are being measured now. */
  pending(corpusId: Id, hyper: Hyperparameters): boolean {
    const key = JSON.stringify([corpusId, hyper]);
    return this.#wanted === key && this.result?.key !== key;
  }
}

export const speedCalibration = new SpeedCalibrationState();
