// Issue 9, item 4: a 200 MB corpus is imported and trained through the real CLI with every process
// (the CLI host and its engine) under 1.5 GB. Before, the import died with "Invalid array length"
// after 3 GB (the text split into an array of characters) and training was killed by V8 at its heap
// limit (the corpus as a string, then JSON, then 4 bytes per character of ids, starts and order).
// What it takes: about 25 s here (import ≈ 4 s, training 20 steps ≈ 15 s, writing the file ≈ 1 s).
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS } from '../../engine/config.ts';
import { CORPUS_CHUNK_BYTES, startMessages } from '../../engine/data/corpus-chunks.ts';
import type { CorpusChunkMessage } from '../../engine/protocol.ts';
import { electronEngineLauncher, type UtilityProcessModuleLike } from '../../main/runs/electron-launcher.ts';
import { EngineProcess, type ReadyMessage } from '../../main/runs/engine-process.ts';
import { MAX_CORPUS_BYTES, refuseTooBig } from '../../main/storage/corpora.ts';
import { Storage, measureText, sha256Hex } from '../../main/storage/index.ts';
import { jsonLines, runCli, tempDir } from './cli-helpers.ts';
import { KJV_MIB, runCliMeasured, timeCommand, writeBigCorpus } from './peak-rss.ts';

describe('corpora stored as UTF-8 bytes', () => {
  it('bytes in and out: the same corpus as from text, and text() still reads it as a string', () => {
    const tmp = tempDir('rnnwb-corpus-bytes-');
    const storage = Storage.open(tmp.db);
    try {
      const text = '\uFEFFHello, 世界 😀\r\nagain\u0000';
      const bytes = new TextEncoder().encode(text);
      const { corpus } = storage.corpora.add({ name: 'bytes', bytes });
      expect(corpus).toMatchObject({ chars: Array.from(text).length, distinct: new Set(Array.from(text)).size, bytes: bytes.length, sha256: sha256Hex(text) });
      expect(storage.corpora.add({ name: 'as text', text })).toMatchObject({ created: false, corpus: { id: corpus.id } });
      expect(storage.corpora.text(corpus.id)).toBe(text);
      expect(Buffer.compare(storage.corpora.bytes(corpus.id)!, bytes)).toBe(0);
      expect(measureText(text)).toEqual({ chars: corpus.chars, distinct: corpus.distinct, bytes: corpus.bytes });
      expect(storage.corpora.bytes(corpus.id + 1)).toBeNull();
    } finally {
      storage.close();
      tmp.remove();
    }
  });

  it('a text over the storable length is refused in a sentence, not with better-sqlite3\'s "too big"', () => {
    // better-sqlite3 caps a value at V8's longest string, so any text it stores reads back as a string.
    expect(MAX_CORPUS_BYTES).toBe(2 ** 29 - 24 - 2 ** 20); // less 1 MiB for the row's other columns
    expect(() => refuseTooBig(MAX_CORPUS_BYTES + 1, 'huge')).toThrow('Corpus "huge" has 535,822,313 bytes; a corpus can have at most 535,822,312 bytes (about 511 MiB).');
    expect(() => refuseTooBig(MAX_CORPUS_BYTES, 'fits')).not.toThrow();
  });

  it('`corpus add` of a file over that length says so before reading it, and stores nothing', async () => {
    const tmp = tempDir('rnnwb-huge-');
    try {
      const huge = path.join(tmp.dir, 'huge.txt');
      writeFileSync(huge, '');
      truncateSync(huge, MAX_CORPUS_BYTES + 1); // sparse: no disk used
      const refused = await runCli(['corpus', 'add', huge, '--db', tmp.db]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`rnnwb: The corpus file "huge.txt" has 535,822,313 bytes; a corpus can have at most 535,822,312 bytes (about 511 MiB).\n`);
      expect(existsSync(tmp.db)).toBe(false);
    } finally {
      tmp.remove();
    }
  }, 30_000);
});

describe('a corpus bigger than one chunk', () => {
  it('reaches a real engine process in chunks, whole', async () => {
    const unit = readFileSync(KJV_MIB);
    const mib = Math.ceil(CORPUS_CHUNK_BYTES / 2 ** 20) + 1; // two chunks, the second partial
    const corpusBytes = new Uint8Array(mib * unit.length);
    for (let i = 0; i < mib; i++) corpusBytes.set(unit, i * unit.length);
    const engine = new EngineProcess();
    const ready: ReadyMessage[] = [];
    engine.onReady((m) => ready.push(m));
    engine.start({
      type: 'start',
      hyper: { ...DEFAULT_HYPERPARAMETERS, hidden: 8, embed: 4, window: 10, batch: 8, steps: 3, valFraction: 0, threads: 1 },
      corpusBytes,
    });
    const exit = await engine.waitForExit(60_000);
    expect(exit.reason, exit.message).toBe('done');
    // Every byte arrived: one window per position but the last 10 (the kjv text is ASCII).
    expect(ready[0]).toMatchObject({ trainWindows: corpusBytes.length - 10, vocabSize: 72 });
  }, 90_000);

  it('crosses to an Electron utilityProcess as chunks with buffers of their own (a clone of a view sends its whole buffer)', () => {
    const posted: unknown[] = [];
    let spawn = () => {};
    const utilityProcess: UtilityProcessModuleLike = {
      fork: () => ({
        pid: 1, stderr: null, kill: () => true, postMessage: (message: unknown) => void posted.push(message),
        on(event: string, listener: (...args: never[]) => void) {
          if (event === 'spawn') spawn = listener as () => void;
          return this;
        },
      }),
    };
    const channel = electronEngineLauncher(utilityProcess, 'worker.js')();
    const corpusBytes = new Uint8Array(2 * CORPUS_CHUNK_BYTES + 5);
    for (const message of startMessages({ type: 'start', hyper: DEFAULT_HYPERPARAMETERS, corpusBytes })) channel.post(message);
    spawn();
    const chunks = posted.filter((m): m is CorpusChunkMessage => (m as CorpusChunkMessage).type === 'corpus-chunk');
    expect(chunks.map((c) => [c.offset, c.bytes.byteLength, c.bytes.buffer.byteLength])).toEqual([
      [0, CORPUS_CHUNK_BYTES, CORPUS_CHUNK_BYTES], [CORPUS_CHUNK_BYTES, CORPUS_CHUNK_BYTES, CORPUS_CHUNK_BYTES], [2 * CORPUS_CHUNK_BYTES, 5, 5],
    ]);
    expect(posted.at(-1)).toMatchObject({ type: 'start', corpusChunked: corpusBytes.length });
  });
});

const MIB = 200;
const LIMIT_BYTES = 1.5 * 2 ** 30;
const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GB`;

describe.skipIf(!timeCommand || process.platform !== 'linux')(`a ${MIB} MB corpus through the CLI (peak memory from /usr/bin/time)`, () => {
  const tmp = tempDir('rnnwb-big-corpus-');
  const file = path.join(tmp.dir, 'big.txt');

  beforeAll(() => writeBigCorpus(file, MIB));
  afterAll(() => tmp.remove());

  it('`corpus add` stores it with the process under 1.5 GB and says how far it got', async () => {
    const run = await runCliMeasured(['corpus', 'add', file, '--name', 'big', '--db', tmp.db]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Stored corpus 1 "big": ${MIB * 2 ** 20} characters, 72 distinct.\n`);
    // Not a terminal here, so one line per phase (a terminal gets a bar).
    expect(run.stderr).toBe(`big.txt: reading ${MIB.toFixed(1)} MB…\nbig.txt: checking UTF-8…\nbig.txt: storing…\n`);
    expect(run.peakBytes, `peak ${gb(run.peakBytes)}`).toBeLessThan(LIMIT_BYTES);
  }, 90_000);

  it('`train` runs 20 steps on it with the host and the engine each under 1.5 GB', async () => {
    const run = await runCliMeasured([
      'train', '--corpus', 'big', '--steps', '20', '--hidden', '32', '--batch', '32', '--val', '0', '--json', '--db', tmp.db,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const events = jsonLines(run.stdout);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'done', step: 20 });
    expect(Number.isFinite(events.at(-1)!.trainLoss)).toBe(true);
    // The largest process, whichever it is (the kernel's count includes the engine the CLI reaped)…
    expect(run.peakBytes, `peak ${gb(run.peakBytes)}`).toBeLessThan(LIMIT_BYTES);
    // …and the engine was seen holding the corpus (at least its ids, 1 byte per character).
    expect(run.enginePeakBytes).toBeGreaterThan(MIB * 2 ** 20);
    expect(run.enginePeakBytes).toBeLessThan(LIMIT_BYTES);
    expect(run.hostPeakBytes).toBeLessThan(LIMIT_BYTES);
  }, 120_000);
});
