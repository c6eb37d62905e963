/**
 * The training flags shared by `train` and `sweep`, and their translation into a partial
 * Hyperparameters record. Only flags given on the command line appear in it, so a preset fills the
 * rest and explicit flags override the preset.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PRESETS, type Hyperparameters, type PresetName } from '../../engine/config.ts';
import { HYPERPARAMETER_KEYS, fieldSpec, isHyperparameterKey, type CliFlag, type FieldSpec } from '../../engine/fields.ts';
import type { SweepGrid } from '../../engine/sweep-grid.ts';
import { badInput } from './errors.ts';

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** A number as typed; the range is checked by validateHyperparameters, which says it in words. */
export function parseNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError(`"${value}" is not a number.`);
  return n;
}

export function parseWholeNumber(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not a whole number.`);
  return n;
}

function parseBatch(value: string): number | 'full' {
  return value.trim() === 'full' ? 'full' : parseWholeNumber(value);
}

/** The fields that have a flag, with it (from the table in engine/fields.ts). */
const FLAGGED = HYPERPARAMETER_KEYS.flatMap((field) => {
  const { cli } = fieldSpec(field);
  return cli.flag === null ? [] : [{ field, cli }];
});

/** commander's name for a flag's value: weight-decay → weightDecay. */
const camelCase = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Whole numbers and numbers are read as typed; their range is validateHyperparameters' to check. */
function flagOption(spec: FieldSpec, cli: CliFlag): Option {
  const option = new Option(`--${cli.flag} <${cli.value}>`, cli.help);
  switch (spec.kind) {
    case 'choice': return option.choices(spec.choices);
    case 'batch': return option.argParser(parseBatch);
    case 'int':
    case 'number': return option.argParser(parseNumber);
    case 'text': return option;
  }
}

export function addTrainingFlags(command: Command): Command {
  command.addOption(new Option('--preset <name>', 'start from a preset (explicit flags override it)').choices(PRESET_NAMES));
  for (const { field, cli } of FLAGGED) command.addOption(flagOption(fieldSpec(field), cli));
  return command;
}

/** Some of the table's flags alone (`resume --engine --device`), read back by `fieldFlagValues`. */
export function addFieldFlags(command: Command, fields: readonly (keyof Hyperparameters)[]): Command {
  for (const { field, cli } of FLAGGED) if (fields.includes(field)) command.addOption(flagOption(fieldSpec(field), cli));
  return command;
}

export function fieldFlagValues<K extends keyof Hyperparameters>(options: Record<string, unknown>, fields: readonly K[]): Partial<Pick<Hyperparameters, K>> {
  const values: Partial<Pick<Hyperparameters, K>> = {};
  for (const { field, cli } of FLAGGED) {
    const value = options[camelCase(cli.flag)];
    if (fields.includes(field as K) && value !== undefined) values[field as K] = value as Hyperparameters[K];
  }
  return values;
}

export interface TrainingChoice {
  preset?: PresetName;
  hyper: Partial<Hyperparameters>;
}

export function trainingChoice(options: Record<string, unknown>): TrainingChoice {
  if (options.epochs !== undefined && options.steps !== undefined) {
    throw badInput('Give --epochs or --steps, not both.');
  }
  const hyper: Record<string, unknown> = {};
  for (const { field, cli } of FLAGGED) {
    const value = options[camelCase(cli.flag)];
    if (value !== undefined) hyper[field] = value;
  }
  // --epochs means "train by epochs" even when the preset counts steps.
  if (options.epochs !== undefined) hyper.steps = null;
  return { preset: options.preset as PresetName | undefined, hyper: hyper as Partial<Hyperparameters> };
}

/** `--grid field=v1,v2`: field by its Hyperparameters name or its flag name (weight-decay, val). */
export function parseGrid(entries: string[]): SweepGrid {
  const grid: SweepGrid = {};
  for (const entry of entries) {
    const match = /^([A-Za-z-]+)=(.+)$/.exec(entry.trim());
    if (!match) throw badInput(`--grid "${entry}" must look like field=value1,value2 (e.g. hidden=32,64).`);
    const field = fieldNamed(match[1]);
    if (!field) throw badInput(`--grid: "${match[1]}" is not a hyperparameter (known: ${HYPERPARAMETER_KEYS.join(', ')}).`);
    if (grid[field]) throw badInput(`--grid: "${match[1]}" is given twice.`);
    grid[field] = match[2].split(',').map((raw) => {
      const text = raw.trim();
      if (text === '') throw badInput(`--grid "${entry}" has an empty value.`);
      const n = Number(text);
      return Number.isNaN(n) ? text : n;
    });
  }
  if (Object.keys(grid).length === 0) throw badInput('A sweep needs at least one --grid field=v1,v2.');
  return grid;
}

function fieldNamed(name: string): keyof Hyperparameters | null {
  const camel = camelCase(name);
  if (isHyperparameterKey(camel)) return camel;
  return FLAGGED.find(({ cli }) => cli.flag === name || camelCase(cli.flag) === camel)?.field ?? null;
}
