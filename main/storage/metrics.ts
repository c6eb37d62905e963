/**
 * Metrics: one row per progress event. Written in batches (the run manager buffers events and flushes
 * a few times per second), read as whole or downsampled curves for charts and comparisons.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { downsampleIndices } from './downsample.ts';
import { isoNow } from './time.ts';
import type { Curve, Id, MetricPoint, NewMetric } from './types.ts';

interface MetricRow {
  step: number;
  epoch: number;
  train_loss: number;
  train_loss_avg: number;
  val_loss: number | null;
  bits_per_char: number;
  val_bits_per_char: number | null;
  accuracy: number;
  val_accuracy: number | null;
  grad_norm: number;
  lr: number;
  chars_per_sec: number;
  elapsed_ms: number;
  wall_time: string;
}

const COLUMNS = `step, epoch, train_loss, train_loss_avg, val_loss, bits_per_char, val_bits_per_char, accuracy,
  val_accuracy, grad_norm, lr, chars_per_sec, elapsed_ms, wall_time`;

/** Default resolution of a chart curve. */
export const DEFAULT_CURVE_POINTS = 1000;

export class MetricsRepository {
  private readonly insertRow: Statement;
  private readonly insertMany: Transaction<(rows: readonly NewMetric[]) => number>;
  private readonly allRows: Statement<[Id], MetricRow>;
  private readonly curveRows: Statement<[Id], [number, number, number | null]>;
  private readonly lastRow: Statement<[Id], MetricRow>;
  private readonly bestRow: Statement<[Id], MetricRow>;
  private readonly countRows: Statement<[Id], { n: number }>;

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(`INSERT INTO metrics (run_id, ${COLUMNS}) VALUES (@runId, @step, @epoch, @trainLoss,
      @trainLossAvg, @valLoss, @bitsPerChar, @valBitsPerChar, @accuracy, @valAccuracy, @gradNorm, @lr, @charsPerSec,
      @elapsedMs, @wallTime)`);
    this.insertMany = db.transaction((rows: readonly NewMetric[]) => {
      const wallTime = isoNow();
      for (const row of rows) {
        this.insertRow.run({
          runId: row.runId, step: row.step, epoch: row.epoch, trainLoss: row.trainLoss, trainLossAvg: row.trainLossAvg,
          valLoss: row.valLoss, bitsPerChar: row.bitsPerChar, valBitsPerChar: row.valBitsPerChar, accuracy: row.accuracy,
          valAccuracy: row.valAccuracy, gradNorm: row.gradNorm, lr: row.lr, charsPerSec: row.charsPerSec,
          elapsedMs: row.elapsedMs, wallTime: row.wallTime ?? wallTime,
        });
      }
      return rows.length;
    });
    this.allRows = db.prepare(`SELECT ${COLUMNS} FROM metrics WHERE run_id = ? ORDER BY step, id`);
    this.curveRows = db.prepare('SELECT step, train_loss, val_loss FROM metrics WHERE run_id = ? ORDER BY step, id').raw() as
      Statement<[Id], [number, number, number | null]>;
    this.lastRow = db.prepare(`SELECT ${COLUMNS} FROM metrics WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1`);
    this.bestRow = db.prepare(`SELECT ${COLUMNS} FROM metrics WHERE run_id = ? AND val_loss IS NOT NULL
      ORDER BY val_loss, step DESC LIMIT 1`);
    this.countRows = db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?');
  }

  /** Appends progress events (any runs) in one transaction; returns how many. */
  appendBatch(rows: readonly NewMetric[]): number {
    if (rows.length === 0) return 0;
    return this.insertMany.immediate(rows);
  }

  /** Every row in step order, or about `maxPoints` of them chosen as for charts (min/max per bucket, all validation rows). */
  list(runId: Id, options: { maxPoints?: number } = {}): MetricPoint[] {
    const rows = this.allRows.all(runId);
    if (options.maxPoints === undefined || rows.length <= options.maxPoints) return rows.map(toPoint);
    const keep = downsampleIndices(rows.map((r) => r.train_loss), rows.map((r) => r.val_loss !== null), options.maxPoints);
    return keep.map((i) => toPoint(rows[i]));
  }

  /** The loss curve for a chart: about `maxPoints` points, spikes and every validation point kept. */
  curve(runId: Id, maxPoints: number = DEFAULT_CURVE_POINTS): Curve {
    const rows = this.curveRows.all(runId);
    const n = rows.length;
    const trainLoss = new Float64Array(n);
    const isValidation = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      trainLoss[i] = rows[i][1];
      isValidation[i] = rows[i][2] !== null;
    }
    const keep = downsampleIndices(trainLoss, isValidation, maxPoints);
    return {
      runId,
      step: keep.map((i) => rows[i][0]),
      trainLoss: keep.map((i) => rows[i][1]),
      valLoss: keep.map((i) => rows[i][2]),
    };
  }

  /** The latest progress event of a run. */
  last(runId: Id): MetricPoint | null {
    const row = this.lastRow.get(runId);
    return row ? toPoint(row) : null;
  }

  /** The evaluation with the lowest validation loss (the latest on a tie); null when the run never evaluated. */
  best(runId: Id): MetricPoint | null {
    const row = this.bestRow.get(runId);
    return row ? toPoint(row) : null;
  }

  count(runId: Id): number {
    return this.countRows.get(runId)!.n;
  }
}

function toPoint(row: MetricRow): MetricPoint {
  return {
    step: row.step, epoch: row.epoch, trainLoss: row.train_loss, trainLossAvg: row.train_loss_avg, valLoss: row.val_loss,
    bitsPerChar: row.bits_per_char, valBitsPerChar: row.val_bits_per_char, accuracy: row.accuracy,
    valAccuracy: row.val_accuracy, gradNorm: row.grad_norm, lr: row.lr, charsPerSec: row.chars_per_sec,
    elapsedMs: row.elapsed_ms, wallTime: row.wall_time,
  };
}
