/**
 * The New-run form: every field kept as the text the user typed, parsed into Hyperparameters and
 * checked on each keystroke by the engine's own validateHyperparameters (so the message beside a field
 * is the one the host would give), then by api.checkHyperparameters for what needs the corpus.
 * Sweep mode reads comma-separated lists; the grid is the product of the fields with several values.
 */
import {
  CELL_KINDS, DEFAULT_HYPERPARAMETERS, OBJECTIVES, OPTIMIZERS, SCHEDULES,
  memoryEstimate, parameterCount, validateAgainstCorpus, validateHyperparameters,
  type FieldErrors, type Hyperparameters, type PresetName,
} from '../../../engine/config.ts';
import type { CorpusSummary, HyperparameterCheck, Id } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';

export type FieldKey = Exclude<keyof Hyperparameters, 'steps'>;
export type FieldKind = 'int' | 'number' | 'choice' | 'batch';

export const FIELD_KINDS: Record<FieldKey, FieldKind> = {
  cell: 'choice', layers: 'int', hidden: 'int', embed: 'int', window: 'int', objective: 'choice', dropout: 'number',
  batch: 'batch', epochs: 'int', optimizer: 'choice', lr: 'number', momentum: 'number', weightDecay: 'number',
  schedule: 'choice', decayEvery: 'int', decayGamma: 'number', clip: 'number',
  valFraction: 'number', evalEvery: 'int', earlyStopPatience: 'int', checkpointEvery: 'int', keepLast: 'int',
  seed: 'int', threads: 'int', stride: 'int',
};

export const CHOICES: Partial<Record<FieldKey, readonly string[]>> = {
  cell: CELL_KINDS, objective: OBJECTIVES, optimizer: OPTIMIZERS, schedule: SCHEDULES,
};

/** The form's sections, in tab order. `length` is the epochs-or-steps pair. */
export const SECTIONS: { id: 'model' | 'training' | 'validation' | 'reproducibility'; fields: (FieldKey | 'length')[] }[] = [
  { id: 'model', fields: ['cell', 'layers', 'hidden', 'embed', 'window', 'objective', 'dropout'] },
  { id: 'training', fields: ['batch', 'length', 'optimizer', 'lr', 'momentum', 'weightDecay', 'schedule', 'decayEvery', 'decayGamma', 'clip'] },
  { id: 'validation', fields: ['valFraction', 'evalEvery', 'earlyStopPatience', 'checkpointEvery', 'keepLast'] },
  { id: 'reproducibility', fields: ['seed', 'threads', 'stride'] },
];

type Values = Record<FieldKey, string> & { steps: string };

function toValues(h: Hyperparameters): Values {
  const out = {} as Values;
  for (const key of Object.keys(FIELD_KINDS) as FieldKey[]) out[key] = String(h[key]);
  out.steps = h.steps === null ? '' : String(h.steps);
  return out;
}

function parseOne(kind: FieldKind, text: string): number | string {
  const trimmed = text.trim();
  if (kind === 'choice') return trimmed;
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
  preset = $state<PresetName | ''>('reference');
  presets = $state.raw<{ name: PresetName; label: string; hyper: Hyperparameters }[]>([]);
  lengthBy = $state<'epochs' | 'steps'>('epochs');
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
    for (const key of Object.keys(FIELD_KINDS) as FieldKey[]) {
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
    for (const key of Object.keys(FIELD_KINDS) as FieldKey[]) h[key] = this.lists[key][0];
    h.steps = this.lengthBy === 'steps' ? this.lists.steps[0] : null;
    return h as unknown as Hyperparameters;
  });

  /** Fields with several values (sweep mode) and the values. */
  grid = $derived.by(() => {
    const grid: Partial<Record<keyof Hyperparameters, (number | string)[]>> = {};
    if (!this.sweep) return grid;
    for (const key of Object.keys(FIELD_KINDS) as FieldKey[]) if (this.lists[key].length > 1) grid[key] = this.lists[key];
    if (this.lengthBy === 'steps' && this.lists.steps.length > 1) grid.steps = this.lists.steps;
    return grid;
  });

  runCount = $derived(Object.values(this.grid).reduce((n, values) => n * (values?.length ?? 1), 1));

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

  /** The sample settings' problems, as the host words them (main/runs/plan.ts sampleSettings). */
  sampleErrors = $derived.by((): { length?: number | string; temperature?: number | string } => {
    const errors: { length?: number | string; temperature?: number | string } = {};
    const length = parseOne('int', this.sample.length) as number;
    const temperature = parseOne('number', this.sample.temperature) as number;
    if (!Number.isInteger(length) || length < 1 || length > 10_000) errors.length = this.sample.length.trim() || 'nothing';
    if (!Number.isFinite(temperature) || temperature <= 0 || temperature > 10) errors.temperature = this.sample.temperature.trim() || 'nothing';
    return errors;
  });

  valid = $derived(Object.keys(this.errors).length === 0 && Object.keys(this.sampleErrors).length === 0);

  /** Parameter count and memory computed here as you type; the host's check replaces them when it answers. */
  estimate(corpus: CorpusSummary | undefined): { parameters: number; memory: number; windows: number; corpusError: string | null } | null {
    if (!corpus || !this.valid) return null;
    const h = this.hyper;
    const train = Math.floor(corpus.chars * (1 - h.valFraction));
    const windows = h.objective === 'next' ? Math.max(0, train - h.window) : Math.max(0, Math.floor((train - 1) / h.window));
    return {
      parameters: parameterCount(h, corpus.distinct),
      memory: memoryEstimate(h, corpus.distinct, windows),
      windows,
      corpusError: validateAgainstCorpus(h, corpus.chars),
    };
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
