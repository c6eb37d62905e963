/**
 * The trash (migration 003): deleting a run, a checkpoint or a corpus moves its rows here in the same
 * transaction that deletes them, so every read elsewhere stays as it was (the rows are simply gone
 * from their tables). Restoring puts them back under their old ids (AUTOINCREMENT never hands those
 * out again); it is refused with a sentence when something took the place meanwhile (a run of the
 * same name, the corpus a run trained on is gone). `empty` deletes for good.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StorageError, notFound } from './errors.ts';
import { isoNow } from './time.ts';
import type { Id, TrashItem, TrashKind } from './types.ts';

export type { TrashItem, TrashKind };

/** What a restore put back: the thing itself and every run that came back with it. */
export interface RestoredItem {
  item: TrashItem;
  runIds: Id[];
}

type Row = Record<string, unknown>;

interface TrashRow {
  id: Id; kind: TrashKind; item_id: Id; name: string; runs: number; bytes: number; deleted_at: string;
}

/** Rows per trash_rows entry for tables without a BLOB (metrics can be many). */
const ROWS_PER_ENTRY = 5000;

export class TrashRepository {
  // Statements are prepared on first use (restoring builds INSERTs from the stored rows' columns).
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  private sql<Params extends unknown[] = unknown[], Result = unknown>(text: string): Statement<Params, Result> {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement as unknown as Statement<Params, Result>;
  }

  list(): TrashItem[] {
    return this.sql<[], TrashRow>('SELECT * FROM trash ORDER BY id DESC').all().map(toItem);
  }

  get(id: Id): TrashItem | null {
    const row = this.sql<[Id], TrashRow>('SELECT * FROM trash WHERE id = ?').get(id);
    return row ? toItem(row) : null;
  }

  /** Moves a run (with its metrics, checkpoints and samples) to the trash. */
  trashRun(runId: Id): TrashItem {
    return this.db.transaction(() => {
      const run = this.sql('SELECT name FROM runs WHERE id = ?').get(runId) as { name: string } | undefined;
      if (!run) throw notFound(`Run #${runId}`);
      return this.moveRuns([runId], { kind: 'run', itemId: runId, name: run.name });
    }).immediate();
  }

  /** Moves a corpus and every run that trains on it to the trash (the caller has asked whether runs may go). */
  trashCorpus(corpusId: Id): TrashItem {
    return this.db.transaction(() => {
      const corpus = this.sql('SELECT name FROM corpora WHERE id = ?').get(corpusId) as { name: string } | undefined;
      if (!corpus) throw notFound(`Corpus #${corpusId}`);
      const runIds = (this.sql('SELECT id FROM runs WHERE corpus_id = ? ORDER BY id').all(corpusId) as { id: Id }[]).map((r) => r.id);
      return this.moveRuns(runIds, { kind: 'corpus', itemId: corpusId, name: corpus.name }, corpusId);
    }).immediate();
  }

  /** Moves one checkpoint (with its samples) to the trash. */
  trashCheckpoint(checkpointId: Id): TrashItem {
    return this.db.transaction(() => {
      const checkpoint = this.sql(`SELECT r.name, k.step FROM checkpoints k JOIN runs r ON r.id = k.run_id WHERE k.id = ?`)
        .get(checkpointId) as { name: string; step: number } | undefined;
      if (!checkpoint) throw notFound(`Checkpoint #${checkpointId}`);
      const stored = this.store({ kind: 'checkpoint', itemId: checkpointId, name: `${checkpoint.name}@${checkpoint.step}`, runs: 0 }, [
        ['checkpoints', this.sql('SELECT * FROM checkpoints WHERE id = ?').all(checkpointId) as Row[]],
        ['samples', this.sql('SELECT * FROM samples WHERE checkpoint_id = ? ORDER BY id').all(checkpointId) as Row[]],
      ]);
      this.sql('DELETE FROM checkpoints WHERE id = ?').run(checkpointId);
      return stored;
    }).immediate();
  }

  private moveRuns(runIds: readonly Id[], item: { kind: 'run' | 'corpus'; itemId: Id; name: string }, corpusId?: Id): TrashItem {
    const ids = JSON.stringify(runIds);
    const inRuns = 'IN (SELECT value FROM json_each(?))';
    const tables: [string, Row[]][] = [];
    if (corpusId !== undefined) tables.push(['corpora', this.sql('SELECT * FROM corpora WHERE id = ?').all(corpusId) as Row[]]);
    tables.push(
      ['runs', this.sql(`SELECT * FROM runs WHERE id ${inRuns} ORDER BY id`).all(ids) as Row[]],
      ['metrics', this.sql(`SELECT * FROM metrics WHERE run_id ${inRuns} ORDER BY id`).all(ids) as Row[]],
      ['checkpoints', this.sql(`SELECT * FROM checkpoints WHERE run_id ${inRuns} ORDER BY id`).all(ids) as Row[]],
      ['samples', this.sql(`SELECT * FROM samples WHERE run_id ${inRuns} ORDER BY id`).all(ids) as Row[]],
      // Runs continued from these lose their parent (ON DELETE SET NULL); a restore links them again.
      ['$children', this.sql(`SELECT id, parent_run_id FROM runs WHERE parent_run_id ${inRuns} AND id NOT ${inRuns}`).all(ids, ids) as Row[]],
    );
    let stored = this.store({ ...item, runs: runIds.length }, tables);
    if (corpusId !== undefined) stored = this.storePieces(stored, corpusId);
    this.sql(`DELETE FROM runs WHERE id ${inRuns}`).run(ids);
    if (corpusId !== undefined) this.sql('DELETE FROM corpora WHERE id = ?').run(corpusId);
    return stored;
  }

  /** Puts the rows back under their old ids and takes the item out of the trash. */
  restore(id: Id): RestoredItem {
    return this.db.transaction(() => {
      const item = this.get(id);
      if (item === null) throw notFound(`Trash item #${id}`);
      // Runs continued from each other may come back in any order; the keys are checked at commit.
      this.db.pragma('defer_foreign_keys = ON');
      const runIds: Id[] = [];
      // One entry read at a time: a corpus's pieces may add up to gigabytes.
      const entryAt = this.sql<[Id, number], { table_name: string; rows: string; blob: Buffer | null }>('SELECT table_name, rows, blob FROM trash_rows WHERE trash_id = ? AND seq = ?');
      for (const seq of this.sql<[Id], { seq: number }>('SELECT seq FROM trash_rows WHERE trash_id = ? ORDER BY seq').all(id).map((e) => e.seq)) {
        const entry = entryAt.get(id, seq)!;
        const rows = parseRows(entry.rows, entry.blob);
        if (entry.table_name === '$children') {
          const relink = this.sql('UPDATE runs SET parent_run_id = ? WHERE id = ? AND parent_run_id IS NULL');
          for (const row of rows) relink.run(row.parent_run_id, row.id);
          continue;
        }
        for (const row of rows) {
          this.refuseConflict(entry.table_name, row, item);
          this.insertRow(entry.table_name, entry.table_name === 'runs' ? settled(row) : row);
          if (entry.table_name === 'runs') runIds.push(row.id as Id);
        }
      }
      this.refuseMissingParents(item);
      this.sql<[Id]>('DELETE FROM trash WHERE id = ?').run(id);
      return { item, runIds };
    }).immediate();
  }

  /** Deletes one item for good. */
  purge(id: Id): void {
    if (this.sql<[Id]>('DELETE FROM trash WHERE id = ?').run(id).changes === 0) throw notFound(`Trash item #${id}`);
  }

  /** Deletes everything in the trash for good; answers how many items went. */
  empty(): number {
    return this.sql<[]>('DELETE FROM trash').run().changes;
  }

  private store(item: Omit<TrashItem, 'id' | 'bytes' | 'deletedAt'>, tables: [string, Row[]][]): TrashItem {
    const entries: { table: string; rows: string; blob: Buffer | null }[] = [];
    for (const [table, rows] of tables) {
      const plain: Row[] = [];
      for (const row of rows) {
        const blobColumn = Object.keys(row).find((key) => Buffer.isBuffer(row[key]));
        if (blobColumn === undefined) plain.push(row);
        else entries.push({ table, rows: stringifyRows([{ ...row, [blobColumn]: { $blob: true } }]), blob: row[blobColumn] as Buffer });
      }
      for (let i = 0; i < plain.length; i += ROWS_PER_ENTRY) entries.push({ table, rows: stringifyRows(plain.slice(i, i + ROWS_PER_ENTRY)), blob: null });
    }
    // Parents before children (blob rows were pushed first): order entries by the table order given.
    const order = tables.map(([table]) => table);
    entries.sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table));
    const bytes = entries.reduce((sum, e) => sum + e.rows.length + (e.blob?.length ?? 0), 0);
    const deletedAt = isoNow();
    const info = this.sql(`INSERT INTO trash (kind, item_id, name, runs, bytes, deleted_at) VALUES (@kind, @itemId, @name, @runs, @bytes, @deletedAt)`).run({ ...item, bytes, deletedAt });
    const trashId = Number(info.lastInsertRowid);
    entries.forEach((entry, seq) => this.sql('INSERT INTO trash_rows (trash_id, seq, table_name, rows, blob) VALUES (?, ?, ?, ?, ?)').run(trashId, seq, entry.table, entry.rows, entry.blob));
    return { ...item, id: trashId, bytes, deletedAt };
  }

  /**
   * A corpus's text pieces (migration 004) after the item's other entries, one blob entry each, copied
   * by SQLite itself (a corpus may have gigabytes; none of it passes through JS).
   */
  private storePieces(stored: TrashItem, corpusId: Id): TrashItem {
    const next = (this.sql('SELECT coalesce(max(seq), -1) + 1 AS next FROM trash_rows WHERE trash_id = ?').get(stored.id) as { next: number }).next;
    this.sql(`INSERT INTO trash_rows (trash_id, seq, table_name, rows, blob)
      SELECT ?, ? + seq, 'corpus_pieces', json_array(json_object('corpus_id', corpus_id, 'seq', seq, 'bytes', json('{"$blob":true}'))), bytes
      FROM corpus_pieces WHERE corpus_id = ? ORDER BY seq`).run(stored.id, next, corpusId);
    const pieces = (this.sql('SELECT coalesce(sum(length(bytes)), 0) AS bytes FROM corpus_pieces WHERE corpus_id = ?').get(corpusId) as { bytes: number }).bytes;
    this.sql('UPDATE trash SET bytes = bytes + ? WHERE id = ?').run(pieces, stored.id);
    return { ...stored, bytes: stored.bytes + pieces };
  }

  /** Table and column names come from the rows this repository stored (names of our own schema). */
  private insertRow(table: string, row: Row): void {
    const columns = Object.keys(row);
    const quoted = columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ');
    this.sql(`INSERT INTO "${table}" (${quoted}) VALUES (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => row[c]));
  }

  /** A sentence instead of a constraint error when a restored row's name or text is taken now. */
  private refuseConflict(table: string, row: Row, item: TrashItem): void {
    if (table === 'runs' && this.sql('SELECT 1 FROM runs WHERE name = ?').get(row.name)) {
      throw new StorageError(`A run named "${String(row.name)}" exists now; rename it, then restore ${describe(item)}.`, 'conflict');
    }
    if (table === 'corpora') {
      if (this.sql('SELECT 1 FROM corpora WHERE name = ?').get(row.name)) {
        throw new StorageError(`A corpus named "${String(row.name)}" exists now; rename it, then restore ${describe(item)}.`, 'conflict');
      }
      const same = this.sql('SELECT name FROM corpora WHERE sha256 = ?').get(row.sha256) as { name: string } | undefined;
      if (same) throw new StorageError(`Corpus "${same.name}" holds the same text now; delete it, then restore ${describe(item)}.`, 'conflict');
    }
  }

  private refuseMissingParents(item: TrashItem): void {
    const orphanRun = this.sql(`SELECT r.name FROM runs r WHERE r.corpus_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM corpora c WHERE c.id = r.corpus_id) LIMIT 1`).get() as { name: string } | undefined;
    if (orphanRun) {
      throw new StorageError(`Run "${orphanRun.name}" trained on a corpus that is in the trash or gone; restore that corpus first.`, 'conflict');
    }
    if (item.kind === 'checkpoint') {
      const orphan = this.sql('SELECT 1 FROM checkpoints k WHERE k.id = ? AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = k.run_id)').get(item.itemId);
      if (orphan) throw new StorageError(`The run of checkpoint ${item.name} is in the trash or gone; restore that run first.`, 'conflict');
    }
  }
}

function describe(item: TrashItem): string {
  return `${item.kind} "${item.name}"`;
}

function toItem(row: TrashRow): TrashItem {
  return { id: row.id, kind: row.kind, itemId: row.item_id, name: row.name, runs: row.runs, bytes: row.bytes, deletedAt: row.deleted_at };
}

/** A run that was training when deleted comes back stopped and owned by nobody (no process trains it). */
function settled(row: Row): Row {
  if (row.status !== 'running' && row.status !== 'paused' && row.status !== 'queued') return row;
  return { ...row, status: 'stopped', owner_pid: null, owner_host_id: null, heartbeat_at: null, ended_at: row.ended_at ?? isoNow() };
}


// JSON has no Infinity or NaN; a diverged loss may be one, so they travel as tagged strings.
function stringifyRows(rows: Row[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? { $number: String(value) } : value));
}

function parseRows(text: string, blob: Buffer | null): Row[] {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && '$number' in value) return Number((value as { $number: string }).$number);
    if (value !== null && typeof value === 'object' && '$blob' in value) return blob;
    return value;
  }) as Row[];
}
