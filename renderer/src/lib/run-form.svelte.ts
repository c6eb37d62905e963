/**
 * The New-run form: every field kept as the text the user typed, parsed into Hyperparameters and
 * checked on each keystroke by the engine's own validateHyperparameters (so the message beside a field
 * is the one the host would give), then by api.checkHyperparameters for what needs the corpus.
 * Sweep mode reads comma-separated lists; the grid is the product of the fields with several values.
 */
import {
  DEFAULT_HYPERPARAMETERS, validateHyperparameters,
  type FieldErrors, type Hyperparameters, type PresetName,
} from '../../../engine/config.ts';
import { sampleLengthProblem, sampleTemperatureProblem } from '../../../engine/fields.ts';
import { gridSize, type SweepGrid } from '../../../engine/sweep-grid.ts';
import type { CorpusSummary, HyperparameterCheck, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { FIELD_KEYS, FIELD_KINDS, type FieldKey, type FieldKind } from './run-form-fields.ts';
import { estimateRun, type RunEstimate } from './run-estimate.ts';

export { CHOICES, FIELD_KINDS, SECTIONS, type FieldKey } from './run-form-fields.ts';

type Values = Record<FieldKey, string> & { steps: string };

function toValues(h: Hyperparameters): Values {
  const out = {} as Values;
  for (const key of FIELD_KEYS) out[key] = String(h[key]);
  out.steps = h.steps === null ? '' : String(h.steps);
  return out;
}

function parseOne(kind: FieldKind, text: string): number | string {
  const trimmed = text.trim();
  if (kind === 'choice' || kind === 'text') return trimmed;
  if (kind === 'batch' && trimmed.toLowerCase() === 'full') return 'full';
  // Empty stays NaN so the validator names the field instead of silently using 0.
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

function splitList(text: string): string[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.length > 1 ? parts.filter((p) => p !== '') : parts;
}

export class RunForm {
  values = $state<Values>(toValues(DEFAULT_HYPERPARAMETERS));
  #preset = $state<PresetName | ''>('reference');
  presets = $state.raw<{ name: PresetName; label: string; hyper: Hyperparameters }[]>([]);
  #lengthBy = $state<'epochs' | 'steps'>('epochs');

  /** The preset applied, or '' ("Custom") once any field differs from it. */
  get preset(): PresetName | '' {
    const applied = this.presets.find((p) => p.name === this.#preset);
    if (!applied) return this.#preset;
    const expected = toValues(applied.hyper);
    const sameLength = this.#lengthBy === (applied.hyper.steps === null ? 'epochs' : 'steps');
    const edited = !sameLength || FIELD_KEYS.some((key) => this.values[key] !== expected[key]) || (this.#lengthBy === 'steps' && this.values.steps !== expected.steps);
    return edited ? '' : this.#preset;
  }
  set preset(name: PresetName | '') {
    this.#preset = name;
  }

  get lengthBy(): 'epochs' | 'steps' {
    return this.#lengthBy;
  }
  /**
   * Switching between epochs and steps keeps a valid number: an empty or wrong steps count becomes the
   * steps the epochs made (the host's count), or 1000; wrong epochs become the default.
   */
  set lengthBy(kind: 'epochs' | 'steps') {
    if (kind === this.#lengthBy) return;
    if (kind === 'steps' && validateHyperparameters({ ...this.hyper, steps: parseOne('int', this.values.steps) as number }).steps) {
      this.values.steps = String(this.check && this.check.hyper.steps === null && this.check.totalSteps > 0 ? this.check.totalSteps : 1000);
    }
    if (kind === 'epochs' && validateHyperparameters({ ...this.hyper, steps: null, epochs: parseOne('int', this.values.epochs) as number }).epochs) {
      this.values.epochs = String(DEFAULT_HYPERPARAMETERS.epochs);
    }
    this.#lengthBy = kind;
  }
  sweep = $state(false);
  name = $state('');
  corpusId = $state<Id | null>(null);
  /** Checkpoint samples (CreateRunInput.sample); an empty prompt means the start of the corpus. */
  sample = $state({ prompt: '', length: '200', temperature: '0.8' });
  check = $state.raw<HyperparameterCheck | null>(null);
  checkError = $state<string | null>(null);
  submitError = $state<string | null>(null);
  submitting = $state(false);
  #checkTimer = 0;
  #checkSeq = 0;

  /** Each field's list of parsed values (one value unless sweeping). */
  lists = $derived.by(() => {
    const out = {} as Record<FieldKey | 'steps', (number | string)[]>;
    for (const key of FIELD_KEYS) {
      const texts = this.sweep ? splitList(this.values[key]) : [this.values[key]];
      out[key] = texts.map((text) => parseOne(FIELD_KINDS[key], text));
    }
    const stepTexts = this.sweep ? splitList(this.values.steps) : [this.values.steps];
    out.steps = stepTexts.map((text) => parseOne('int', text));
    return out;
  });

  /** The first value of every field: the single run, or the sweep's base. */
  hyper = $derived.by((): Hyperparameters => {
    const h = {} as Record<string, unknown>;
    for (const key of FIELD_KEYS) h[key] = this.lists[key][0];
    h.steps = this.lengthBy === 'steps' ? this.lists.steps[0] : null;
    return h as unknown as Hyperparameters;
  });

  /** Fields with several values (sweep mode) and the values. */
  grid = $derived.by(() => {
    const grid: SweepGrid = {};
    if (!this.sweep) return grid;
    for (const key of FIELD_KEYS) if (this.lists[key].length > 1) grid[key] = this.lists[key];
    if (this.lengthBy === 'steps' && this.lists.steps.length > 1) grid.steps = this.lists.steps;
    return grid;
  });

  runCount = $derived(gridSize(this.grid));

  /** Every field's problem; in sweep mode each listed value is checked in turn against the base. */
  errors = $derived.by((): FieldErrors => {
    const errors: FieldErrors = { ...validateHyperparameters(this.hyper) };
    for (const [key, values] of Object.entries(this.grid) as [keyof Hyperparameters, (number | string)[]][]) {
      for (const value of values.slice(1)) {
        const problem = validateHyperparameters({ ...this.hyper, [key]: value } as Hyperparameters)[key];
        if (problem && !errors[key]) errors[key] = problem;
      }
    }
    if (this.check?.errors) for (const [k, v] of Object.entries(this.check.errors)) if (v && !(k in errors)) errors[k as keyof Hyperparameters] = v;
    return errors;
  });

  /** The sample settings' problems (by the limits the host and the engine apply: engine/fields.ts), as what was typed. */
  sampleErrors = $derived.by((): { length?: number | string; temperature?: number | string } => {
    const errors: { length?: number | string; temperature?: number | string } = {};
    if (sampleLengthProblem(parseOne('int', this.sample.length))) errors.length = this.sample.length.trim() || 'nothing';
    if (sampleTemperatureProblem(parseOne('number', this.sample.temperature))) errors.temperature = this.sample.temperature.trim() || 'nothing';
    return errors;
  });

  valid = $derived(Object.keys(this.errors).length === 0 && Object.keys(this.sampleErrors).length === 0);

  /** Parameter count and memory computed here as you type; the host's check replaces them when it answers. */
  estimate(corpus: CorpusSummary | undefined): RunEstimate | null {
    if (!corpus || !this.valid) return null;
    return estimateRun(this.hyper, corpus);
  }

  async loadPresets(): Promise<void> {
    if (this.presets.length > 0) return;
    try {
      this.presets = await api.presets();
      if (this.preset) this.applyPreset(this.preset);
    } catch (error) {
      this.checkError = messageOf(error);
    }
  }

  applyPreset(name: PresetName | ''): void {
    this.preset = name;
    const preset = this.presets.find((p) => p.name === name);
    if (!preset) return;
    this.values = toValues(preset.hyper);
    this.lengthBy = preset.hyper.steps === null ? 'epochs' : 'steps';
    this.scheduleCheck();
  }

  /** Ask the host (debounced) for the corpus-dependent check; stale answers are dropped. */
  scheduleCheck(): void {
    clearTimeout(this.#checkTimer);
    this.#checkTimer = window.setTimeout(() => void this.#runCheck(), 250);
  }

  async #runCheck(): Promise<void> {
    const seq = ++this.#checkSeq;
    if (this.corpusId === null || Object.keys(validateHyperparameters(this.hyper)).length > 0) {
      this.check = null;
      return;
    }
    try {
      const check = await api.checkHyperparameters({ corpusId: this.corpusId, hyper: $state.snapshot(this.hyper) });
      if (seq === this.#checkSeq) {
        this.check = check;
        this.checkError = null;
      }
    } catch (error) {
      if (seq === this.#checkSeq) this.checkError = messageOf(error);
    }
  }

  /** Create the run (or the sweep). Returns true when the host accepted it. */
  async submit(noCorpusMessage: string): Promise<boolean> {
    this.submitError = null;
    if (this.corpusId === null) {
      this.submitError = noCorpusMessage;
      return false;
    }
    if (this.submitting) return false;
    this.submitting = true;
    try {
      // The debounced check may still describe the inputs of a moment ago (another preset, another
      // corpus): ask again now, so a stale answer never refuses, or lets through, what is submitted.
      clearTimeout(this.#checkTimer);
      await this.#runCheck();
      if (!this.valid) return false;
      if (this.check?.corpusError) {
        this.submitError = this.check.corpusError;
        return false;
      }
      const hyper = $state.snapshot(this.hyper);
      const common = {
        corpusId: this.corpusId,
        ...(this.name.trim() ? { name: this.name.trim() } : {}),
        ...(this.preset ? { preset: this.preset } : {}),
        sample: {
          length: Number(this.sample.length),
          temperature: Number(this.sample.temperature),
          // Kept exactly as typed (spaces too); empty leaves the host's default, the corpus start.
          ...(this.sample.prompt !== '' ? { prompt: this.sample.prompt } : {}),
        },
      };
      if (this.sweep && this.runCount > 1) {
        const base: Partial<Hyperparameters> = { ...hyper };
        for (const key of Object.keys(this.grid) as (keyof Hyperparameters)[]) delete base[key];
        await api.createSweep({ ...common, base, grid: $state.snapshot(this.grid) as typeof this.grid });
      } else {
        await api.createRun({ ...common, hyper });
      }
      this.name = '';
      return true;
    } catch (error) {
      this.submitError = messageOf(error);
      return false;
    } finally {
      this.submitting = false;
    }
  }
}

/** One form for the whole session, so switching views keeps what was typed. */
export const runForm = new RunForm();
