/**
 * The training flags shared by `train` and `sweep`, and their translation into a partial
 * Hyperparameters record. Only flags given on the command line appear in it, so a preset fills the
 * rest and explicit flags override the preset.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  CELL_KINDS, DEFAULT_HYPERPARAMETERS, OBJECTIVES, OPTIMIZERS, SCHEDULES,
  type Hyperparameters, type PresetName,
} from '../../engine/config.ts';
import { badInput } from './errors.ts';

export const PRESET_NAMES: readonly PresetName[] = ['reference', 'char-rnn-small', 'char-rnn-medium'];

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

/** flag → hyperparameter field, for flags whose value goes straight into the record. */
const FLAG_FIELDS = {
  cell: 'cell', layers: 'layers', hidden: 'hidden', embed: 'embed', window: 'window', objective: 'objective',
  batch: 'batch', epochs: 'epochs', steps: 'steps', optimizer: 'optimizer', lr: 'lr', momentum: 'momentum',
  weightDecay: 'weightDecay', schedule: 'schedule', clip: 'clip', dropout: 'dropout', val: 'valFraction',
  earlyStop: 'earlyStopPatience', evalEvery: 'evalEvery', seed: 'seed', threads: 'threads',
  checkpointEvery: 'checkpointEvery', keepLast: 'keepLast',
} as const satisfies Record<string, keyof Hyperparameters>;

export function addTrainingFlags(command: Command): Command {
  return command
    .addOption(new Option('--preset <name>', 'start from a preset (explicit flags override it)').choices(PRESET_NAMES))
    .addOption(new Option('--cell <kind>', 'recurrent cell').choices(CELL_KINDS))
    .option('--layers <n>', 'stacked recurrent layers', parseNumber)
    .option('--hidden <n>', 'hidden size', parseNumber)
    .option('--embed <n>', 'embedding size', parseNumber)
    .option('--window <n>', 'characters per training window', parseNumber)
    .addOption(new Option('--objective <kind>', 'predict the next char after the window, or at every position').choices(OBJECTIVES))
    .option('--batch <n|full>', 'windows per minibatch, or "full"', parseBatch)
    .option('--epochs <n>', 'train for N passes over the corpus', parseNumber)
    .option('--steps <n>', 'train for exactly N optimizer steps', parseNumber)
    .addOption(new Option('--optimizer <kind>', 'optimizer').choices(OPTIMIZERS))
    .option('--lr <rate>', 'learning rate', parseNumber)
    .option('--momentum <m>', 'momentum (SGD, RMSprop)', parseNumber)
    .option('--weight-decay <w>', 'L2 weight decay', parseNumber)
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule').choices(SCHEDULES))
    .option('--clip <norm>', 'clip the gradient norm (0 = off)', parseNumber)
    .option('--dropout <p>', 'dropout between layers', parseNumber)
    .option('--val <fraction>', 'tail fraction of the corpus held out for validation', parseNumber)
    .option('--early-stop <patience>', 'stop after N evaluations without improvement (0 = off)', parseNumber)
    .option('--eval-every <n>', 'evaluate every N steps', parseNumber)
    .option('--seed <n>', 'random seed', parseNumber)
    .option('--threads <n>', 'kernel threads at most (0 = automatic)', parseNumber)
    .option('--checkpoint-every <n>', 'periodic checkpoint every N steps (0 = only best and final)', parseNumber)
    .option('--keep-last <k>', 'periodic checkpoints kept', parseNumber);
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
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    if (options[flag] !== undefined) hyper[field] = options[flag];
  }
  // --epochs means "train by epochs" even when the preset counts steps.
  if (options.epochs !== undefined) hyper.steps = null;
  return { preset: options.preset as PresetName | undefined, hyper: hyper as Partial<Hyperparameters> };
}

/** `--grid field=v1,v2`: field by its Hyperparameters name or its flag name (weight-decay, val). */
export function parseGrid(entries: string[]): Partial<Record<keyof Hyperparameters, (number | string)[]>> {
  const grid: Partial<Record<keyof Hyperparameters, (number | string)[]>> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z-]+)=(.+)$/.exec(entry.trim());
    if (!match) throw badInput(`--grid "${entry}" must look like field=value1,value2 (e.g. hidden=32,64).`);
    const field = fieldNamed(match[1]);
    if (!field) throw badInput(`--grid: "${match[1]}" is not a hyperparameter (known: ${Object.keys(DEFAULT_HYPERPARAMETERS).join(', ')}).`);
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
  const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  if (camel in DEFAULT_HYPERPARAMETERS) return camel as keyof Hyperparameters;
  if (camel in FLAG_FIELDS) return FLAG_FIELDS[camel as keyof typeof FLAG_FIELDS];
  return null;
}

/** Readable one line for every field error from checkHyperparameters. */
export function describeFieldErrors(errors: Partial<Record<string, string>>): string | null {
  const messages = Object.values(errors).filter((m): m is string => Boolean(m));
  return messages.length ? messages.join(' ') : null;
}
