/**
 * Checkpoints: safetensors files (weights, optimizer state, metadata) stored as BLOBs, so a stored
 * checkpoint exports byte for byte. Lists never read the blobs; only `bytes(id)` does.
 *
 * "Best" means the lowest validation loss (the latest on a tie); a run without validation has no
 * such thing, so its best is its latest checkpoint.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StorageError, notFound } from './errors.ts';
import { isoNow } from './time.ts';
import type { CheckpointSummary, Id, NewCheckpoint, StoredCheckpointKind } from './types.ts';

const KINDS: readonly StoredCheckpointKind[] = ['periodic', 'best', 'final', 'imported'];

interface CheckpointRow {
  id: Id;
  run_id: Id;
  run_name: string;
  step: number;
  kind: StoredCheckpointKind;
  val_loss: number | null;
  train_loss: number | null;
  size: number;
  created_at: string;
}

const SELECT_SUMMARY = `SELECT k.id, k.run_id, r.name AS run_name, k.step, k.kind, k.val_loss, k.train_loss, k.size, k.created_at
  FROM checkpoints k JOIN runs r ON r.id = k.run_id`;

export class CheckpointsRepository {
  private readonly insertRow: Statement;
  private readonly byId: Statement<[Id], CheckpointRow>;
  private readonly ofRun: Statement<[Id], CheckpointRow>;
  private readonly blobOf: Statement<[Id], { bytes: Buffer }>;
  private readonly latestOf: Statement<[Id], CheckpointRow>;
  private readonly bestOf: Statement<[Id], CheckpointRow>;
  private readonly atStep: Statement<[Id, number], CheckpointRow>;
  private readonly latestKindRow: Statement<[Id, string], CheckpointRow>;
  private readonly deleteRow: Statement<[Id]>;

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(`INSERT INTO checkpoints (run_id, step, kind, val_loss, train_loss, bytes, size, created_at)
      VALUES (@runId, @step, @kind, @valLoss, @trainLoss, @bytes, @size, @createdAt)`);
    this.byId = db.prepare(`${SELECT_SUMMARY} WHERE k.id = ?`);
    this.ofRun = db.prepare(`${SELECT_SUMMARY} WHERE k.run_id = ? ORDER BY k.step, k.id`);
    this.blobOf = db.prepare('SELECT bytes FROM checkpoints WHERE id = ?');
    this.latestOf = db.prepare(`${SELECT_SUMMARY} WHERE k.run_id = ? ORDER BY k.step DESC, k.id DESC LIMIT 1`);
    // Checkpoints with a validation loss first (lowest, then latest); without any, the latest.
    this.bestOf = db.prepare(`${SELECT_SUMMARY} WHERE k.run_id = ?
      ORDER BY k.val_loss IS NULL, k.val_loss, k.step DESC, k.id DESC LIMIT 1`);
    this.atStep = db.prepare(`${SELECT_SUMMARY} WHERE k.run_id = ? AND k.step = ?
      ORDER BY CASE k.kind WHEN 'final' THEN 0 WHEN 'best' THEN 1 ELSE 2 END, k.id DESC LIMIT 1`);
    this.latestKindRow = db.prepare(`${SELECT_SUMMARY} WHERE k.run_id = ? AND k.kind = ? ORDER BY k.step DESC, k.id DESC LIMIT 1`);
    this.deleteRow = db.prepare('DELETE FROM checkpoints WHERE id = ?');
  }

  add(input: NewCheckpoint): CheckpointSummary {
    if (!KINDS.includes(input.kind)) throw new StorageError(`Unknown checkpoint kind "${input.kind}".`);
    return this.db.transaction(() => {
      const info = this.insertRow.run({
        runId: input.runId, step: input.step, kind: input.kind, valLoss: input.valLoss, trainLoss: input.trainLoss,
        // better-sqlite3 binds a Buffer as a BLOB; a view over the same memory avoids a copy.
        bytes: Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength),
        size: input.bytes.byteLength, createdAt: isoNow(),
      });
      return this.require(Number(info.lastInsertRowid));
    }).immediate();
  }

  get(id: Id): CheckpointSummary | null {
    const row = this.byId.get(id);
    return row ? toSummary(row) : null;
  }

  require(id: Id): CheckpointSummary {
    const checkpoint = this.get(id);
    if (!checkpoint) throw notFound(`Checkpoint #${id}`);
    return checkpoint;
  }

  /** A run's checkpoints by step, without their bytes. */
  list(runId: Id): CheckpointSummary[] {
    return this.ofRun.all(runId).map(toSummary);
  }

  /** The safetensors file, or null when there is no such checkpoint. */
  bytes(id: Id): Uint8Array | null {
    return this.blobOf.get(id)?.bytes ?? null;
  }

  latest(runId: Id): CheckpointSummary | null {
    const row = this.latestOf.get(runId);
    return row ? toSummary(row) : null;
  }

  /** Lowest validation loss (latest on a tie); without any validation loss, the latest. */
  best(runId: Id): CheckpointSummary | null {
    const row = this.bestOf.get(runId);
    return row ? toSummary(row) : null;
  }

  /** The checkpoint at exactly this step (the final one, then best, then periodic, when several share it). */
  byStep(runId: Id, step: number): CheckpointSummary | null {
    const row = this.atStep.get(runId, step);
    return row ? toSummary(row) : null;
  }

  /** The latest checkpoint of one kind (e.g. RUN@final). */
  latestOfKind(runId: Id, kind: StoredCheckpointKind): CheckpointSummary | null {
    const row = this.latestKindRow.get(runId, kind);
    return row ? toSummary(row) : null;
  }

  /** Deletes a checkpoint and its samples; false when it did not exist. */
  delete(id: Id): boolean {
    return this.deleteRow.run(id).changes > 0;
  }

  /**
   * Keeps the last `keepLast` periodic checkpoints, the best one, every final and imported one; deletes
   * the rest (older periodic ones and 'best' checkpoints a later one superseded). Returns the deleted ids.
   */
  prune(runId: Id, keepLast: number): Id[] {
    const keepCount = Math.max(0, Math.floor(keepLast));
    return this.db.transaction(() => {
      const all = this.ofRun.all(runId);
      const best = this.bestOf.get(runId);
      const periodic = all.filter((c) => c.kind === 'periodic').sort((a, b) => b.step - a.step || b.id - a.id);
      const keep = new Set<Id>(periodic.slice(0, keepCount).map((c) => c.id));
      if (best) keep.add(best.id);
      for (const c of all) if (c.kind === 'final' || c.kind === 'imported') keep.add(c.id);
      const deleted: Id[] = [];
      for (const c of all) {
        if (keep.has(c.id)) continue;
        this.deleteRow.run(c.id);
        deleted.push(c.id);
      }
      return deleted;
    }).immediate();
  }
}

function toSummary(row: CheckpointRow): CheckpointSummary {
  return {
    id: row.id, runId: row.run_id, runName: row.run_name, step: row.step, kind: row.kind, valLoss: row.val_loss,
    trainLoss: row.train_loss, bytes: row.size, createdAt: row.created_at,
  };
}
