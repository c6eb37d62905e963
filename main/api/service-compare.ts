/**
 * Comparing runs and checkpoints side by side: their hyperparameters (with the rows that differ
 * flagged), their best and last metrics (with the best value of each row marked), their loss curves
 * (downsampled, min/max kept), and what each checkpoint writes from one shared prompt. Also as CSV.
 */
import type { Hyperparameters } from '../../engine/config.ts';
import { HYPERPARAMETER_KEYS, sampleLengthProblem } from '../../engine/fields.ts';
import type { CheckpointSummary, RunRecord, Storage } from '../storage/index.ts';
import {
  ApiError, describeSegments, type CompareColumn, type CompareInput, type CompareResult, type CompareRow, type Curve,
} from './contract.ts';
import { messageOf, type Playground } from './service-playground.ts';
import { checkpointById, runById } from './service-refs.ts';

interface Column {
  run: RunRecord;
  checkpoint: CheckpointSummary | null;
}

/** Enough for a 20-run sweep side by side, with room for a few checkpoints; wider tables stop being readable. */
export const MAX_COLUMNS = 24;

/** A metric row: how to read it from a column, and whether lower or higher is better. */
interface MetricSpec {
  field: string;
  better: 'lower' | 'higher' | null;
  value: (column: Column, storage: Storage) => number | null;
}

const METRICS: MetricSpec[] = [
  { field: 'checkpoint step', better: null, value: (c) => c.checkpoint?.step ?? null },
  { field: 'checkpoint val loss', better: 'lower', value: (c) => c.checkpoint?.valLoss ?? null },
  { field: 'checkpoint train loss', better: 'lower', value: (c) => c.checkpoint?.trainLoss ?? null },
  { field: 'best val loss', better: 'lower', value: (c) => c.run.bestValLoss },
  { field: 'best val bits/char', better: 'lower', value: (c) => (c.run.bestValLoss === null ? null : c.run.bestValLoss / Math.LN2) },
  { field: 'best val accuracy', better: 'higher', value: (c, s) => s.metrics.bestValAccuracy(c.run.id) },
  { field: 'last train loss', better: 'lower', value: (c) => c.run.lastTrainLoss },
  { field: 'last val loss', better: 'lower', value: (c) => c.run.lastValLoss },
  { field: 'last accuracy', better: 'higher', value: (c, s) => s.metrics.last(c.run.id)?.accuracy ?? null },
  // Not 'steps': that is a hyperparameter row already (the planned length).
  { field: 'step reached', better: null, value: (c) => c.run.step },
  { field: 'chars/sec', better: 'higher', value: (c) => c.run.charsPerSec },
  { field: 'parameters', better: null, value: (c) => c.run.parameterCount },
];

export async function compare(storage: Storage, playground: Playground, input: CompareInput): Promise<CompareResult> {
  const columns = columnsOf(storage, input);
  // Every field of the table, in its order: a run stored before a field existed shows "—" there.
  const hyperparameters: CompareRow[] = [
    row('corpus', columns.map((c) => c.run.corpusName), []),
    row('vocabulary', columns.map((c) => c.run.vocabSize), []),
    // Who trained it, segment by segment (beside chars/sec: built-in vs PyTorch on the same job).
    row('trained on', columns.map((c) => describeSegments(c.run.reproduction.segments)), []),
    ...HYPERPARAMETER_KEYS.map((key) => row(key, columns.map((c) => {
      const v = (c.run.hyper as Partial<Hyperparameters>)[key];
      return v === null || v === undefined ? null : (v as number | string);
    }), [])),
  ];
  const metrics = METRICS.map((spec) => {
    const values = columns.map((c) => spec.value(c, storage));
    return row(spec.field, values, spec.better === null ? [] : bestIndices(values, spec.better));
  });
  const maxPoints = input.maxPoints ?? 500;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new ApiError(`maxPoints must be a whole number of at least 2 (got ${maxPoints}).`);
  const seen = new Set<number>();
  const curves: Curve[] = [];
  for (const c of columns) {
    if (seen.has(c.run.id)) continue;
    seen.add(c.run.id);
    curves.push(storage.metrics.curve(c.run.id, maxPoints));
  }
  const samples = await samplesOf(storage, playground, columns, input);
  const described: CompareColumn[] = columns.map((c) => ({
    runId: c.run.id, runName: c.run.name, checkpointId: c.checkpoint?.id ?? null, step: c.checkpoint?.step ?? null,
  }));
  return { columns: described, hyperparameters, metrics, curves, samples };
}

/** The comparison table (hyperparameters, then metrics) and the curves, as CSV text. */
export async function compareCsv(storage: Storage, playground: Playground, input: CompareInput): Promise<{ table: string; curves: string }> {
  const result = await compare(storage, playground, { ...input, prompt: undefined });
  const header = ['field', ...result.columns.map((c) => (c.step === null ? c.runName : `${c.runName}@${c.step}`))];
  const lines = [header, ...[...result.hyperparameters, ...result.metrics].map((r) => [r.field, ...r.values])];
  const curveLines: (string | number | null)[][] = [['run', 'step', 'train_loss', 'val_loss']];
  for (const curve of result.curves) {
    const name = result.columns.find((c) => c.runId === curve.runId)!.runName;
    curve.step.forEach((step, i) => curveLines.push([name, step, curve.trainLoss[i], curve.valLoss[i]]));
  }
  return { table: toCsv(lines), curves: toCsv(curveLines) };
}

function columnsOf(storage: Storage, input: CompareInput): Column[] {
  const columns: Column[] = [];
  for (const id of input.runIds ?? []) {
    const run = runById(storage, id);
    columns.push({ run, checkpoint: storage.checkpoints.best(run.id) });
  }
  for (const id of input.checkpointIds ?? []) {
    const checkpoint = checkpointById(storage, id);
    columns.push({ run: runById(storage, checkpoint.runId), checkpoint });
  }
  if (columns.length === 0) throw new ApiError('Choose at least one run or checkpoint to compare.');
  if (columns.length > MAX_COLUMNS) throw new ApiError(`At most ${MAX_COLUMNS} runs and checkpoints can be compared at once (got ${columns.length}).`);
  return columns;
}

/** With a prompt, every checkpoint writes from it (same seed); without, each column shows its stored sample. */
async function samplesOf(storage: Storage, playground: Playground, columns: Column[], input: CompareInput): Promise<CompareResult['samples']> {
  const length = input.sampleLength ?? 200;
  const lengthProblem = sampleLengthProblem(length);
  if (lengthProblem) throw new ApiError(lengthProblem);
  const texts: (string | null)[] = [];
  const errors: (string | null)[] = [];
  if (input.prompt === undefined || input.prompt === '') {
    for (const c of columns) {
      const sample = c.checkpoint ? storage.samples.forCheckpoint(c.checkpoint.id)[0] ?? null : null;
      texts.push(sample ? sample.text : null);
      errors.push(c.checkpoint ? null : `Run "${c.run.name}" has no checkpoint yet.`);
    }
    return { prompt: '', texts, errors };
  }
  for (const c of columns) {
    if (!c.checkpoint) {
      texts.push(null);
      errors.push(`Run "${c.run.name}" has no checkpoint yet.`);
      continue;
    }
    try {
      const { text } = await playground.generate({ checkpointId: c.checkpoint.id, prime: input.prompt, length, temperature: 0.8, seed: 1 });
      texts.push(text);
      errors.push(null);
    } catch (error) {
      texts.push(null);
      errors.push(messageOf(error));
    }
  }
  return { prompt: input.prompt, texts, errors };
}

function row(field: string, values: (string | number | null)[], best: number[]): CompareRow {
  const first = JSON.stringify(values[0]);
  return { field, values, differs: values.some((v) => JSON.stringify(v) !== first), best };
}

/** Every column holding the best finite value (ties all count); empty when no value is a finite number. */
export function bestIndices(values: readonly (string | number | null)[], better: 'lower' | 'higher'): number[] {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === 0) return [];
  const best = better === 'lower' ? Math.min(...numbers) : Math.max(...numbers);
  return values.flatMap((v, i) => (v === best ? [i] : []));
}

export function toCsv(rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    const text = v === null ? '' : String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
