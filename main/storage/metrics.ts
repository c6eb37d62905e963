/**
 * Metrics: one row per progress event. Written in batches (the run manager buffers events and flushes
 * a few times per second), read as whole or downsampled curves for charts and comparisons.
 *
 * Downsampling happens inside SQLite: a chart 1000 pixels wide gains nothing from 200,000 points, and
 * handing every row to JavaScript costs more than the query. Averaging or striding would hide the
 * spikes people look for, so the steps are cut into equal buckets and each bucket keeps its minimum
 * and maximum train loss (the M4 idea without the pixel grid), plus every validation point.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
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

/**
 * Buckets for a curve of at most `maxPoints` points: two points each, after the validation points
 * and the first and last rows. Bucket k holds the steps s with k ≤ (s − first) · buckets / span < k + 1.
 */
export function curveBuckets(maxPoints: number, validationPoints: number): number {
  return Math.max(1, Math.floor((Math.floor(maxPoints) - validationPoints - 2) / 2));
}

// Each bucket is a range scan of the covering index (run_id, step, train_loss, val_loss); the bare
// `id` next to min()/max() is, in SQLite, the id of the row holding that minimum or maximum.
const CHOSEN_IDS = `
  WITH RECURSIVE bucket(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM bucket WHERE k + 1 < @buckets),
  chosen(id) AS (
    SELECT (SELECT id FROM (SELECT id, min(train_loss) FROM metrics WHERE run_id = @runId
      AND step >= @first + k * CAST(@span AS REAL) / @buckets AND step < @first + (k + 1) * CAST(@span AS REAL) / @buckets)) FROM bucket
    UNION ALL
    SELECT (SELECT id FROM (SELECT id, max(train_loss) FROM metrics WHERE run_id = @runId
      AND step >= @first + k * CAST(@span AS REAL) / @buckets AND step < @first + (k + 1) * CAST(@span AS REAL) / @buckets)) FROM bucket
    UNION ALL SELECT id FROM metrics WHERE run_id = @runId AND val_loss IS NOT NULL
    UNION ALL SELECT * FROM (SELECT id FROM metrics WHERE run_id = @runId ORDER BY step, id LIMIT 1)
    UNION ALL SELECT * FROM (SELECT id FROM metrics WHERE run_id = @runId ORDER BY step DESC, id DESC LIMIT 1)
  )`;

interface CurveQuery { runId: Id; buckets: number; first: number; span: number }

export class MetricsRepository {
  private readonly insertRow: Statement;
  private readonly insertMany: Transaction<(rows: readonly NewMetric[]) => number>;
  private readonly allRows: Statement<[Id], MetricRow>;
  private readonly curveRows: Statement<[Id], [number, number, number | null]>;
  private readonly shape: Statement<[Id], { n: number; first: number | null; last: number | null }>;
  private readonly validationCount: Statement<[Id], { n: number }>;
  private readonly chosenCurve: Statement<[CurveQuery], [number, number, number | null]>;
  private readonly chosenRows: Statement<[CurveQuery], MetricRow>;
  private readonly lastRow: Statement<[Id], MetricRow>;
  private readonly bestRow: Statement<[Id], MetricRow>;
  private readonly bestValAccuracyOf: Statement<[Id], { best: number | null }>;
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
    this.shape = db.prepare('SELECT count(*) AS n, min(step) AS first, max(step) AS last FROM metrics WHERE run_id = ?');
    this.validationCount = db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ? AND val_loss IS NOT NULL');
    this.chosenCurve = db.prepare(`${CHOSEN_IDS} SELECT step, train_loss, val_loss FROM metrics
      WHERE id IN (SELECT id FROM chosen) ORDER BY step, id`).raw() as Statement<[CurveQuery], [number, number, number | null]>;
    this.chosenRows = db.prepare(`${CHOSEN_IDS} SELECT ${COLUMNS} FROM metrics WHERE id IN (SELECT id FROM chosen) ORDER BY step, id`);
    this.lastRow = db.prepare(`SELECT ${COLUMNS} FROM metrics WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1`);
    this.bestRow = db.prepare(`SELECT ${COLUMNS} FROM metrics WHERE run_id = ? AND val_loss IS NOT NULL
      ORDER BY val_loss, step DESC LIMIT 1`);
    // Validation accuracy is measured with validation loss, so the partial index on val_loss rows
    // finds every candidate without reading the training rows (one per step, far more).
    this.bestValAccuracyOf = db.prepare(`SELECT max(val_accuracy) AS best FROM metrics
      WHERE run_id = ? AND val_loss IS NOT NULL`);
    this.countRows = db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?');
  }

  /** Appends progress events (any runs) in one transaction; returns how many. */
  appendBatch(rows: readonly NewMetric[]): number {
    if (rows.length === 0) return 0;
    return this.insertMany.immediate(rows);
  }

  /** Every row in step order, or about `maxPoints` of them chosen as for charts (min/max per bucket, all validation rows). */
  list(runId: Id, options: { maxPoints?: number } = {}): MetricPoint[] {
    const query = options.maxPoints === undefined ? null : this.downsampling(runId, options.maxPoints);
    return (query ? this.chosenRows.all(query) : this.allRows.all(runId)).map(toPoint);
  }

  /** The loss curve for a chart: about `maxPoints` points, spikes and every validation point kept. */
  curve(runId: Id, maxPoints: number = DEFAULT_CURVE_POINTS): Curve {
    const query = this.downsampling(runId, maxPoints);
    const rows = query ? this.chosenCurve.all(query) : this.curveRows.all(runId);
    return { runId, step: rows.map((r) => r[0]), trainLoss: rows.map((r) => r[1]), valLoss: rows.map((r) => r[2]) };
  }

  /** The bucket query for a run, or null when all its rows fit in `maxPoints`. */
  private downsampling(runId: Id, maxPoints: number): CurveQuery | null {
    const { n, first, last } = this.shape.get(runId)!;
    if (n <= Math.max(2, maxPoints) || first === null || last === null) return null;
    return { runId, buckets: curveBuckets(maxPoints, this.validationCount.get(runId)!.n), first, span: last - first + 1 };
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

  /** The highest validation accuracy of a run; null when it never evaluated. */
  bestValAccuracy(runId: Id): number | null {
    return this.bestValAccuracyOf.get(runId)!.best;
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
