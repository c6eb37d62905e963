/**
 * Corpora: the texts runs train on. A text is stored once (deduplicated by SHA-256), and a text that
 * runs were trained on never changes under them — editing it means adding a new corpus.
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { StorageError, notFound } from './errors.ts';
import { ImpactCounter, nameRuns } from './impact.ts';
import { isoNow } from './time.ts';
import type { CorpusDetail, CorpusSummary, DeleteImpact, Id, NewCorpus } from './types.ts';

interface CorpusRow {
  id: Id;
  name: string;
  sha256: string;
  source: string;
  chars: number;
  distinct_chars: number;
  bytes: number;
  created_at: string;
  run_count: number;
}

const SUMMARY_COLUMNS = `c.id, c.name, c.sha256, c.source, c.chars, c.distinct_chars, c.bytes, c.created_at,
  (SELECT count(*) FROM runs r WHERE r.corpus_id = c.id) AS run_count`;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Length in code points, distinct code points, UTF-8 bytes — what the corpus list shows. */
export function measureText(text: string): { chars: number; distinct: number; bytes: number } {
  const codePoints = Array.from(text);
  return { chars: codePoints.length, distinct: new Set(codePoints).size, bytes: Buffer.byteLength(text, 'utf8') };
}

export class CorporaRepository {
  private readonly impact: ImpactCounter;
  private readonly insertRow: Statement;
  private readonly byId: Statement<[Id], CorpusRow>;
  private readonly byName: Statement<[string], CorpusRow>;
  private readonly bySha: Statement<[string], CorpusRow>;
  private readonly all: Statement<[], CorpusRow>;
  private readonly textOf: Statement<[Id], { text: string }>;
  private readonly runsUsing: Statement<[Id], { id: Id; name: string }>;
  private readonly setName: Statement<[string, Id]>;
  private readonly setText: Statement;
  private readonly deleteRow: Statement<[Id]>;
  private readonly deleteRunsOf: Statement<[Id]>;

  constructor(private readonly db: Database) {
    this.impact = new ImpactCounter(db);
    this.insertRow = db.prepare(`INSERT INTO corpora (name, text, sha256, source, chars, distinct_chars, bytes, created_at)
      VALUES (@name, @text, @sha256, @source, @chars, @distinct, @bytes, @createdAt)`);
    this.byId = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.id = ?`);
    this.byName = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.name = ?`);
    this.bySha = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.sha256 = ?`);
    this.all = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c ORDER BY c.created_at DESC, c.id DESC`);
    this.textOf = db.prepare('SELECT text FROM corpora WHERE id = ?');
    this.runsUsing = db.prepare('SELECT id, name FROM runs WHERE corpus_id = ? ORDER BY id');
    this.setName = db.prepare('UPDATE corpora SET name = ? WHERE id = ?');
    this.setText = db.prepare(`UPDATE corpora SET text = @text, sha256 = @sha256, chars = @chars,
      distinct_chars = @distinct, bytes = @bytes WHERE id = @id`);
    this.deleteRow = db.prepare('DELETE FROM corpora WHERE id = ?');
    this.deleteRunsOf = db.prepare('DELETE FROM runs WHERE corpus_id = ?');
  }

  /**
   * Adds a text, or returns the corpus that already holds exactly this text (`created: false`),
   * whatever its name. A new text under a name that is taken is refused.
   */
  add(input: NewCorpus): { corpus: CorpusSummary; created: boolean } {
    const name = input.name.trim();
    if (name === '') throw new StorageError('A corpus needs a name.');
    const sha256 = sha256Hex(input.text);
    return this.db.transaction(() => {
      const existing = this.bySha.get(sha256);
      if (existing) return { corpus: toSummary(existing), created: false };
      this.refuseTakenName(name);
      const info = this.insertRow.run({
        name, text: input.text, sha256, source: input.source ?? 'paste', ...measureText(input.text), createdAt: isoNow(),
      });
      return { corpus: this.require(Number(info.lastInsertRowid)), created: true };
    }).immediate();
  }

  get(id: Id): CorpusSummary | null {
    const row = this.byId.get(id);
    return row ? toSummary(row) : null;
  }

  /** The summary, or a not-found error naming the id. */
  require(id: Id): CorpusSummary {
    const corpus = this.get(id);
    if (!corpus) throw notFound(`Corpus #${id}`);
    return corpus;
  }

  /** The summary with the whole text. */
  detail(id: Id): CorpusDetail | null {
    const row = this.byId.get(id);
    if (!row) return null;
    return { ...toSummary(row), text: this.textOf.get(id)!.text };
  }

  text(id: Id): string | null {
    return this.textOf.get(id)?.text ?? null;
  }

  getByName(name: string): CorpusSummary | null {
    const row = this.byName.get(name);
    return row ? toSummary(row) : null;
  }

  getBySha256(sha256: string): CorpusSummary | null {
    const row = this.bySha.get(sha256);
    return row ? toSummary(row) : null;
  }

  /** Newest first, each with the number of runs trained on it. */
  list(): CorpusSummary[] {
    return this.all.all().map(toSummary);
  }

  /** `base`, or `base (2)`, `base (3)`… whichever is free. */
  uniqueName(base: string): string {
    const trimmed = base.trim() || 'corpus';
    if (!this.byName.get(trimmed)) return trimmed;
    for (let n = 2; ; n++) {
      const candidate = `${trimmed} (${n})`;
      if (!this.byName.get(candidate)) return candidate;
    }
  }

  /** Renames and/or replaces the text. The text of a corpus that runs use cannot change. */
  update(id: Id, patch: { name?: string; text?: string }): CorpusSummary {
    return this.db.transaction(() => {
      const current = this.require(id);
      if (patch.name !== undefined) {
        const name = patch.name.trim();
        if (name === '') throw new StorageError('A corpus needs a name.');
        if (name !== current.name) {
          this.refuseTakenName(name);
          this.setName.run(name, id);
        }
      }
      if (patch.text !== undefined) {
        const sha256 = sha256Hex(patch.text);
        if (sha256 !== current.sha256) {
          const runs = this.runsUsing.all(id);
          if (runs.length > 0) {
            throw new StorageError(
              `Corpus "${current.name}" is used by ${nameRuns(runs)}; its text cannot change under them. ` +
                'Save the edited text as a new corpus instead.',
              'conflict',
            );
          }
          const twin = this.bySha.get(sha256);
          if (twin) throw new StorageError(`Corpus "${twin.name}" already has exactly this text.`, 'conflict');
          this.setText.run({ id, text: patch.text, sha256, ...measureText(patch.text) });
        }
      }
      return this.require(id);
    }).immediate();
  }

  /** The runs (with their checkpoints, samples and metrics) that deleting this corpus would take along. */
  deleteImpact(id: Id): DeleteImpact {
    this.require(id);
    return this.impact.of(this.runsUsing.all(id).map((r) => r.id));
  }

  /** Refuses while runs use the corpus, unless `cascade` (then those runs go too). */
  delete(id: Id, options: { cascade?: boolean } = {}): DeleteImpact {
    return this.db.transaction(() => {
      const corpus = this.require(id);
      const impact = this.impact.of(this.runsUsing.all(id).map((r) => r.id));
      if (impact.runs.length > 0 && !options.cascade) {
        throw new StorageError(
          `Corpus "${corpus.name}" is used by ${nameRuns(impact.runs)}. Delete those runs first, or delete the corpus with its runs.`,
          'conflict',
        );
      }
      this.deleteRunsOf.run(id);
      this.deleteRow.run(id);
      return impact;
    }).immediate();
  }

  private refuseTakenName(name: string): void {
    if (this.byName.get(name)) throw new StorageError(`A corpus named "${name}" already exists.`, 'conflict');
  }
}

function toSummary(row: CorpusRow): CorpusSummary {
  return {
    id: row.id, name: row.name, sha256: row.sha256, source: row.source, chars: row.chars,
    distinct: row.distinct_chars, bytes: row.bytes, createdAt: row.created_at, runCount: row.run_count,
  };
}
