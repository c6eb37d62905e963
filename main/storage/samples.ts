/** Samples: text generated from a checkpoint (at checkpoint time or on request), kept with its settings. */
import type { Database, Statement } from 'better-sqlite3';
import { isoNow } from './time.ts';
import type { Id, NewSample, SampleRecord } from './types.ts';

interface SampleRow {
  id: Id;
  checkpoint_id: Id;
  step: number;
  prompt: string;
  temperature: number;
  length: number;
  text: string;
  created_at: string;
}

const COLUMNS = 'id, checkpoint_id, step, prompt, temperature, length, text, created_at';

export class SamplesRepository {
  private readonly insertRow: Statement;
  private readonly byId: Statement<[Id], SampleRow>;
  private readonly ofRun: Statement<[Id], SampleRow>;
  private readonly ofCheckpoint: Statement<[Id], SampleRow>;
  private readonly latestOf: Statement<[Id], SampleRow>;

  constructor(db: Database) {
    this.insertRow = db.prepare(`INSERT INTO samples (checkpoint_id, run_id, step, prompt, temperature, length, text, created_at)
      VALUES (@checkpointId, @runId, @step, @prompt, @temperature, @length, @text, @createdAt)`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM samples WHERE id = ?`);
    this.ofRun = db.prepare(`SELECT ${COLUMNS} FROM samples WHERE run_id = ? ORDER BY step, id`);
    this.ofCheckpoint = db.prepare(`SELECT ${COLUMNS} FROM samples WHERE checkpoint_id = ? ORDER BY id`);
    this.latestOf = db.prepare(`SELECT ${COLUMNS} FROM samples WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1`);
  }

  add(input: NewSample): SampleRecord {
    const info = this.insertRow.run({ ...input, createdAt: isoNow() });
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: Id): SampleRecord | null {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  /** A run's samples by step. */
  list(runId: Id): SampleRecord[] {
    return this.ofRun.all(runId).map(toRecord);
  }

  forCheckpoint(checkpointId: Id): SampleRecord[] {
    return this.ofCheckpoint.all(checkpointId).map(toRecord);
  }

  latest(runId: Id): SampleRecord | null {
    const row = this.latestOf.get(runId);
    return row ? toRecord(row) : null;
  }
}

function toRecord(row: SampleRow): SampleRecord {
  return {
    id: row.id, checkpointId: row.checkpoint_id, step: row.step, prompt: row.prompt, temperature: row.temperature,
    length: row.length, text: row.text, createdAt: row.created_at,
  };
}
