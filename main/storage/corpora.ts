/**
 * Corpora: the texts runs train on. A text is stored once (deduplicated by SHA-256), and a text that
 * runs were trained on never changes under them — editing it means adding a new corpus.
 * A text is stored as its UTF-8 bytes in pieces of 16 MiB (`corpus_pieces`, migration 004): one SQLite
 * value read by better-sqlite3 is capped at V8's longest string (about 512 MiB), pieces are not, and a
 * reader takes them one at a time. `bytes()` assembles them (training); `text()` decodes them for the
 * readers that want a string, as long as the text fits in one.
 */
import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { groupDigits } from '../../engine/text/errors.ts';
import { countCodePoints, forEachCodePointUtf8 } from '../../engine/text/utf8.ts';
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

/** The SHA-256 of a text's UTF-8 bytes (given as a string or as the bytes), in hex. */
export function sha256Hex(text: string | Uint8Array): string {
  return typeof text === 'string' ? createHash('sha256').update(text, 'utf8').digest('hex') : createHash('sha256').update(text).digest('hex');
}

export interface TextMeasure {
  chars: number;
  distinct: number;
  bytes: number;
}

/** Length in code points, distinct code points, UTF-8 bytes — what the corpus list shows. */
export function measureText(text: string): TextMeasure {
  return measureUtf8(Buffer.from(text, 'utf8'));
}

/** `measureText` of valid UTF-8 bytes, counted where they are (a flag per code point, no decoded copy). */
export function measureUtf8(bytes: Uint8Array): TextMeasure {
  const seen = new Uint8Array(0x110000);
  let distinct = 0;
  forEachCodePointUtf8(bytes, (cp) => {
    if (seen[cp] === 0) {
      seen[cp] = 1;
      distinct++;
    }
  });
  return { chars: countCodePoints(bytes), distinct, bytes: bytes.length };
}

/** Bytes per stored piece: small enough to read one at a time, large enough for few rows. */
export const CORPUS_PIECE_BYTES = 16 * 2 ** 20;

/**
 * The largest corpus: the engine numbers a corpus's training windows with 32-bit integers (one window
 * per position), so a text has at most 2³¹ − 1 characters; bytes bound characters.
 */
export const MAX_CORPUS_BYTES = 2 ** 31 - 1;

/** Refuses a text the workbench cannot train on, in words. */
export function refuseTooBig(bytes: number, name: string): void {
  if (bytes > MAX_CORPUS_BYTES) {
    throw new StorageError(`Corpus "${name}" has ${groupDigits(bytes)} bytes; a corpus can have at most ${describeMaxCorpus()}.`);
  }
}

/** "2,147,483,647 bytes (2 GiB)". */
export function describeMaxCorpus(): string {
  return `${groupDigits(MAX_CORPUS_BYTES)} bytes (${Math.round(MAX_CORPUS_BYTES / 2 ** 30)} GiB)`;
}

/**
 * Whether a text of this many characters and bytes may fit in one JS string (V8's longest is
 * 2²⁹ − 24 UTF-16 units; a code point takes one or two units, one per byte at most).
 */
function mayFitInString(chars: number, bytes: number): boolean {
  return bytes <= bufferConstants.MAX_STRING_LENGTH || chars <= bufferConstants.MAX_STRING_LENGTH;
}

/** The UTF-8 bytes of a new corpus, however it was given. */
function bytesOf(input: { text?: string; bytes?: Uint8Array }): Uint8Array {
  return input.bytes ?? Buffer.from(input.text ?? '', 'utf8');
}

export class CorporaRepository {
  private readonly impact: ImpactCounter;
  private readonly insertRow: Statement;
  private readonly insertPiece: Statement<[Id, number, Uint8Array]>;
  private readonly pieceOf: Statement<[Id, number], { bytes: Buffer }>;
  private readonly deletePieces: Statement<[Id]>;
  private readonly byId: Statement<[Id], CorpusRow>;
  private readonly byName: Statement<[string], CorpusRow>;
  private readonly bySha: Statement<[string], CorpusRow>;
  private readonly all: Statement<[], CorpusRow>;
  private readonly runsUsing: Statement<[Id], { id: Id; name: string }>;
  private readonly setName: Statement<[string, Id]>;
  private readonly setText: Statement;
  private readonly deleteRow: Statement<[Id]>;
  private readonly deleteRunsOf: Statement<[Id]>;

  constructor(private readonly db: Database) {
    this.impact = new ImpactCounter(db);
    this.insertRow = db.prepare(`INSERT INTO corpora (name, sha256, source, chars, distinct_chars, bytes, created_at)
      VALUES (@name, @sha256, @source, @chars, @distinct, @bytes, @createdAt)`);
    this.insertPiece = db.prepare('INSERT INTO corpus_pieces (corpus_id, seq, bytes) VALUES (?, ?, ?)');
    this.pieceOf = db.prepare('SELECT bytes FROM corpus_pieces WHERE corpus_id = ? AND seq = ?');
    this.deletePieces = db.prepare('DELETE FROM corpus_pieces WHERE corpus_id = ?');
    this.byId = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.id = ?`);
    this.byName = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.name = ?`);
    this.bySha = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c WHERE c.sha256 = ?`);
    this.all = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM corpora c ORDER BY c.created_at DESC, c.id DESC`);
    this.runsUsing = db.prepare('SELECT id, name FROM runs WHERE corpus_id = ? ORDER BY id');
    this.setName = db.prepare('UPDATE corpora SET name = ? WHERE id = ?');
    this.setText = db.prepare(`UPDATE corpora SET sha256 = @sha256, chars = @chars,
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
    const utf8 = bytesOf(input);
    refuseTooBig(utf8.length, name);
    const sha256 = sha256Hex(utf8);
    const measure = measureUtf8(utf8);
    return this.db.transaction(() => {
      const existing = this.bySha.get(sha256);
      if (existing) return { corpus: toSummary(existing), created: false };
      this.refuseTakenName(name);
      const info = this.insertRow.run({ name, sha256, source: input.source ?? 'paste', ...measure, createdAt: isoNow() });
      const id = Number(info.lastInsertRowid);
      this.writePieces(id, utf8);
      return { corpus: this.require(id), created: true };
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

  /**
   * The summary with the text: whole (refused in a sentence when longer than a string can be), or with
   * `maxBytes` only its opening of at most that many bytes, whole characters, marked `truncated`.
   */
  detail(id: Id, options: { maxBytes?: number } = {}): CorpusDetail | null {
    const corpus = this.get(id);
    if (!corpus) return null;
    const maxBytes = options.maxBytes ?? Infinity;
    if (corpus.bytes <= maxBytes) return { ...corpus, text: this.decode(corpus) };
    return { ...corpus, text: this.opening(corpus, maxBytes), truncated: true };
  }

  /**
   * The text as a string. One longer than V8's longest string (about 512 MiB) is refused in a sentence;
   * `bytes()` and `pieces()` read any corpus.
   */
  text(id: Id): string | null {
    const corpus = this.get(id);
    return corpus ? this.decode(corpus) : null;
  }

  /** The text as UTF-8 bytes in one buffer (what training reads: no decoded copy), assembled from its pieces. */
  bytes(id: Id): Buffer | null {
    const corpus = this.get(id);
    if (!corpus) return null;
    const out = Buffer.allocUnsafe(corpus.bytes);
    let filled = 0;
    for (const piece of this.piecesOf(corpus)) {
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  /** The text's opening: its first `maxBytes` bytes or fewer, whole characters (a prompt needs no more). */
  head(id: Id, maxBytes: number): string | null {
    const corpus = this.get(id);
    return corpus ? this.opening(corpus, maxBytes) : null;
  }

  /** The text's UTF-8 bytes piece by piece, in order (a piece may end inside a character); null when there is no such corpus. */
  pieces(id: Id): Iterable<Buffer> | null {
    const corpus = this.get(id);
    return corpus ? this.piecesOf(corpus) : null;
  }

  /**
   * Each piece read by its own query (not one open iterator), so a reader may use the database between
   * pieces. A stored text that does not add up to the corpus's byte count is an error, never a shorter text.
   */
  private *piecesOf(corpus: CorpusSummary): Generator<Buffer> {
    let total = 0;
    for (let seq = 0; total < corpus.bytes; seq++) {
      const piece = this.pieceOf.get(corpus.id, seq)?.bytes;
      if (piece === undefined) break;
      total += piece.length;
      if (total > corpus.bytes) throw new StorageError(`Corpus "${corpus.name}" is damaged: more than its ${groupDigits(corpus.bytes)} bytes are stored.`);
      yield piece;
    }
    if (total !== corpus.bytes) {
      throw new StorageError(`Corpus "${corpus.name}" is damaged: ${groupDigits(total)} of its ${groupDigits(corpus.bytes)} bytes are stored.`);
    }
  }

  private decode(corpus: CorpusSummary): string {
    if (!mayFitInString(corpus.chars, corpus.bytes)) throw tooLongForString(corpus);
    try {
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.bytes(corpus.id)!);
    } catch (error) {
      if (error instanceof RangeError) throw tooLongForString(corpus);
      throw error;
    }
  }

  /** The first `maxBytes` bytes or fewer, ending before a character cut in two. */
  private opening(corpus: CorpusSummary, maxBytes: number): string {
    const head = Buffer.allocUnsafe(Math.min(maxBytes, corpus.bytes));
    let filled = 0;
    for (const piece of this.piecesOf(corpus)) {
      filled += piece.copy(head, filled);
      if (filled === head.length) break;
    }
    let end = head.length;
    // Back up over continuation bytes to the last lead byte; keep that character only if it is whole.
    let lead = end - 1;
    while (lead > 0 && (head[lead] & 0xc0) === 0x80) lead--;
    if (lead >= 0 && lead + utf8Length(head[lead]) > end) end = lead;
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(head.subarray(0, end));
  }

  private writePieces(id: Id, utf8: Uint8Array): void {
    for (let seq = 0; seq * CORPUS_PIECE_BYTES < utf8.length; seq++) {
      this.insertPiece.run(id, seq, utf8.subarray(seq * CORPUS_PIECE_BYTES, (seq + 1) * CORPUS_PIECE_BYTES));
    }
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
        const utf8 = bytesOf({ text: patch.text });
        refuseTooBig(utf8.length, current.name);
        const sha256 = sha256Hex(utf8);
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
          this.setText.run({ id, sha256, ...measureUtf8(utf8) });
          this.deletePieces.run(id);
          this.writePieces(id, utf8);
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

/** Bytes of the UTF-8 character a lead byte starts. */
function utf8Length(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

function tooLongForString(corpus: CorpusSummary): StorageError {
  return new StorageError(
    `Corpus "${corpus.name}" (${groupDigits(corpus.bytes)} bytes) is too long to be read here as one text ` +
      `(the limit is about ${Math.floor(bufferConstants.MAX_STRING_LENGTH / 2 ** 20)} MiB); training reads it, but this needs a shorter corpus.`,
  );
}

function toSummary(row: CorpusRow): CorpusSummary {
  return {
    id: row.id, name: row.name, sha256: row.sha256, source: row.source, chars: row.chars,
    distinct: row.distinct_chars, bytes: row.bytes, createdAt: row.created_at, runCount: row.run_count,
  };
}
