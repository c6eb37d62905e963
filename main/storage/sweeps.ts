/** Sweeps: a grid of hyperparameter values; its runs point back to it with runs.sweep_id. */
import type { Database, Statement } from 'better-sqlite3';
import { isoNow } from './time.ts';
import type { Id, SweepRecord } from './types.ts';

interface SweepRow { id: Id; grid: string; created_at: string }

export class SweepsRepository {
  private readonly insertRow: Statement<[string, string]>;
  private readonly byId: Statement<[Id], SweepRow>;
  private readonly all: Statement<[], SweepRow>;

  constructor(db: Database) {
    this.insertRow = db.prepare('INSERT INTO sweeps (grid, created_at) VALUES (?, ?)');
    this.byId = db.prepare('SELECT id, grid, created_at FROM sweeps WHERE id = ?');
    this.all = db.prepare('SELECT id, grid, created_at FROM sweeps ORDER BY id DESC');
  }

  create(grid: SweepRecord['grid']): SweepRecord {
    const info = this.insertRow.run(JSON.stringify(grid), isoNow());
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: Id): SweepRecord | null {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  list(): SweepRecord[] {
    return this.all.all().map(toRecord);
  }
}

function toRecord(row: SweepRow): SweepRecord {
  return { id: row.id, grid: JSON.parse(row.grid), createdAt: row.created_at };
}
