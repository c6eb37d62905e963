/**
 * `--corpus NAME|FILE`: an existing path is a file (stored once, found again by its sha256),
 * anything else is the name of a stored corpus. A file is read and checked before anything is
 * stored, so a refused command leaves the database as it was.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { groupDigits } from '../../engine/text/errors.ts';
import { countCodePoints, validateUtf8 } from '../../engine/text/utf8.ts';
import { MAX_CORPUS_BYTES, describeMaxCorpus } from '../storage/index.ts';
import type { CorpusSummary, WorkbenchApi } from '../api/contract.ts';
import { badInput } from './errors.ts';

export type CorpusRef =
  | { kind: 'stored'; corpus: CorpusSummary }
  | { kind: 'file'; path: string; name: string; bytes: Uint8Array; chars: number; sha256: string; existing: CorpusSummary | null };

/** Bytes read from a corpus file at a time (progress is reported after each). */
const READ_CHUNK = 16 * 1024 * 1024;

/** Bytes read so far, of how many. */
export type ReadProgress = (done: number, total: number) => void;

/**
 * A corpus file's bytes, read in chunks into one array of the file's size (no growing copies),
 * calling `onProgress` after each chunk. An unreadable or empty file is bad input.
 */
export async function readCorpusBytes(file: string, onProgress?: ReadProgress): Promise<Uint8Array> {
  const shown = path.basename(file);
  const handle = await open(file, 'r').catch(() => { throw badInput(`Cannot read "${file}".`); });
  try {
    const { size } = await handle.stat();
    if (size === 0) throw badInput(`The corpus file "${shown}" is empty.`);
    if (size > MAX_CORPUS_BYTES) {
      throw badInput(`The corpus file "${shown}" has ${groupDigits(size)} bytes; a corpus can have at most ${describeMaxCorpus()}.`);
    }
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(READ_CHUNK, size - done), done)
        .catch(() => { throw badInput(`Cannot read "${file}".`); });
      if (bytesRead === 0) throw badInput(`"${shown}" got shorter while it was read; try again.`);
      done += bytesRead;
      onProgress?.(done, size);
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

export async function resolveCorpusRef(api: WorkbenchApi, ref: string): Promise<CorpusRef> {
  const info = await stat(ref).catch(() => null);
  if (info?.isFile()) return readCorpusFile(api, ref);
  const corpora = await api.listCorpora();
  const byName = corpora.find((c) => c.name === ref);
  if (byName) return { kind: 'stored', corpus: byName };
  const byId = /^#?\d+$/.test(ref) ? corpora.find((c) => c.id === Number(ref.replace('#', ''))) : undefined;
  if (byId) return { kind: 'stored', corpus: byId };
  throw badInput(`No corpus named "${ref}", and no file at that path.`);
}

export async function readCorpusFile(api: WorkbenchApi, file: string): Promise<CorpusRef & { kind: 'file' }> {
  const bytes = await readCorpusBytes(file);
  const shown = path.basename(file);
  checkUtf8(bytes, shown);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const corpora = await api.listCorpora();
  const existing = corpora.find((c) => c.sha256 === sha256) ?? null;
  return { kind: 'file', path: path.resolve(file), name: freeName(shown, corpora), bytes, chars: countCodePoints(bytes), sha256, existing };
}

/** The corpus to train on: the stored one, the file's twin, or the file stored now. */
export async function storeCorpus(api: WorkbenchApi, ref: CorpusRef): Promise<CorpusSummary> {
  if (ref.kind === 'stored') return ref.corpus;
  if (ref.existing) return ref.existing;
  return api.addCorpus({ name: ref.name, bytes: ref.bytes, source: ref.path });
}

export function corpusLength(ref: CorpusRef): number {
  return ref.kind === 'stored' ? ref.corpus.chars : ref.chars;
}

/** Invalid UTF-8 is bad input; checked on the bytes, so a big file is never decoded whole. */
export function checkUtf8(bytes: Uint8Array, shownName: string): void {
  try {
    validateUtf8(bytes);
  } catch {
    throw badInput(`"${shownName}" is not valid UTF-8 text.`);
  }
}

/** Byte-exact UTF-8 (a BOM is kept as a character); invalid bytes are bad input. */
export function decodeExact(bytes: Uint8Array, shownName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw badInput(`"${shownName}" is not valid UTF-8 text.`);
  }
}

/** The file's name, or name-2, name-3… when a different corpus already has it. */
function freeName(base: string, corpora: CorpusSummary[]): string {
  const taken = new Set(corpora.map((c) => c.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}
