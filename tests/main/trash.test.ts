// The trash (migration 003) on real SQLite files: deleting moves rows there and restoring puts every
// row back as it was (ids, checkpoint bytes, metrics, samples, parent links), refusals are sentences,
// emptying deletes for good; and through the real CLI: `rm` goes to the trash, `trash` and `restore`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { Storage, type Id, type NewMetric } from '../../main/storage/index.ts';
import { runCli, seedCorpus, tempDir } from './cli-helpers.ts';

let dir: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rw-trash-'));
  storage = Storage.open(path.join(dir, 'workbench.db'));
});
afterEach(() => {
  if (storage.isOpen) expect(storage.integrityCheck()).toEqual(['ok']);
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const hyper = PRESETS.reference.hyper;

function addRun(name: string, corpusId: Id, parentRunId: Id | null = null) {
  const vocabulary = storage.vocabularies.getOrCreate([...new Set(Array.from(storage.corpora.text(corpusId)!))].sort());
  return storage.runs.create({
    name, corpusId, vocabularyId: vocabulary.id, hyper, totalSteps: 100, parentRunId,
    reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: hyper.seed, hyper },
  });
}

function metric(runId: Id, step: number, trainLoss: number, valLoss: number | null): NewMetric {
  return {
    runId, step, epoch: step / 10, trainLoss, trainLossAvg: trainLoss, valLoss, bitsPerChar: trainLoss / Math.LN2,
    valBitsPerChar: valLoss === null ? null : valLoss / Math.LN2, accuracy: 0.5, valAccuracy: null,
    gradNorm: 1, lr: 0.01, charsPerSec: 1000 + step, elapsedMs: step * 2,
  };
}

/** A run with metrics (one of them a diverged, infinite loss), two checkpoints and a sample. */
function filledRun(name: string, corpusId: Id, parentRunId: Id | null = null) {
  const run = addRun(name, corpusId, parentRunId);
  storage.runs.setStatus(run.id, 'done');
  storage.metrics.appendBatch([metric(run.id, 1, 2.5, 2.6), metric(run.id, 2, 2.25, null), metric(run.id, 3, Infinity, null)]);
  const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + run.id) & 0xff);
  const periodic = storage.checkpoints.add({ runId: run.id, step: 1, kind: 'periodic', valLoss: 2.6, trainLoss: 2.5, bytes });
  const final = storage.checkpoints.add({ runId: run.id, step: 3, kind: 'final', valLoss: null, trainLoss: 2.25, bytes: bytes.slice(0, 100) });
  storage.samples.add({ checkpointId: final.id, runId: run.id, step: 3, prompt: 'a', temperature: 1, length: 3, text: 'abc' });
  return { run, periodic, final, bytes };
}

/** Every row of the tables a deletion touches, to compare before and after a round trip. */
function snapshot() {
  const all = (sql: string) => storage.db.prepare(sql).all();
  return {
    corpora: all('SELECT * FROM corpora ORDER BY id'),
    corpusPieces: all('SELECT * FROM corpus_pieces ORDER BY corpus_id, seq'),
    runs: all('SELECT * FROM runs ORDER BY id'),
    metrics: all('SELECT * FROM metrics ORDER BY id'),
    checkpoints: all('SELECT * FROM checkpoints ORDER BY id'),
    samples: all('SELECT * FROM samples ORDER BY id'),
  };
}

describe('the trash', () => {
  it('a deleted run is gone from every read, and restoring brings back every row as it was (ids, bytes, an infinite loss, the child’s parent link)', () => {
    const corpus = storage.corpora.add({ name: 'seed', text: 'hello, rnn! hello, rnn!', source: 'test' }).corpus;
    const { run, final } = filledRun('parent', corpus.id);
    const child = addRun('child', corpus.id, run.id);
    const before = snapshot();

    const item = storage.trash.trashRun(run.id);
    expect(item).toMatchObject({ kind: 'run', itemId: run.id, name: 'parent', runs: 1 });
    expect(item.bytes).toBeGreaterThan(4096);
    expect(storage.runs.get(run.id)).toBeNull();
    expect(storage.runs.list().map((r) => r.name)).toEqual(['child']);
    expect(storage.checkpoints.get(final.id)).toBeNull();
    expect(storage.runs.get(child.id)!.parentRunId).toBeNull();
    expect(storage.trash.list()).toEqual([item]);

    const restored = storage.trash.restore(item.id);
    expect(restored).toEqual({ item, runIds: [run.id] });
    expect(snapshot()).toEqual(before);
    expect(storage.trash.list()).toEqual([]);
  });

  it('a corpus goes with its runs and comes back with them; a checkpoint alone comes back with its sample', () => {
    const corpus = storage.corpora.add({ name: 'seed', text: 'hello, rnn! hello, rnn!', source: 'test' }).corpus;
    const first = filledRun('first', corpus.id);
    filledRun('second', corpus.id, first.run.id);
    const before = snapshot();

    const checkpointItem = storage.trash.trashCheckpoint(first.final.id);
    expect(checkpointItem).toMatchObject({ kind: 'checkpoint', name: 'first@3', runs: 0 });
    expect(storage.samples.list(first.run.id)).toEqual([]);
    storage.trash.restore(checkpointItem.id);
    expect(snapshot()).toEqual(before);

    const corpusItem = storage.trash.trashCorpus(corpus.id);
    expect(corpusItem).toMatchObject({ kind: 'corpus', name: 'seed', runs: 2 });
    expect(storage.corpora.list()).toEqual([]);
    expect(storage.runs.list()).toEqual([]);
    expect(storage.trash.restore(corpusItem.id).runIds.sort()).toEqual(before.runs.map((r) => (r as { id: Id }).id));
    expect(snapshot()).toEqual(before);
  });

  it('refuses a restore that would clash, in a sentence, and keeps the item; emptying deletes for good', () => {
    const corpus = storage.corpora.add({ name: 'seed', text: 'hello, rnn! hello, rnn!', source: 'test' }).corpus;
    const { run, final } = filledRun('taken', corpus.id);
    const runItem = storage.trash.trashRun(run.id);
    const sameName = addRun('taken', corpus.id);
    expect(() => storage.trash.restore(runItem.id)).toThrow('A run named "taken" exists now; rename it, then restore run "taken".');
    expect(storage.trash.get(runItem.id)).toEqual(runItem);

    // A checkpoint whose run is in the trash waits for that run.
    storage.runs.rename(sameName.id, 'other');
    const restoredRun = storage.trash.restore(runItem.id);
    expect(restoredRun.runIds).toEqual([run.id]);
    const checkpointItem = storage.trash.trashCheckpoint(final.id);
    const again = storage.trash.trashRun(run.id);
    expect(() => storage.trash.restore(checkpointItem.id)).toThrow('The run of checkpoint taken@3 is in the trash or gone; restore that run first.');
    expect(storage.checkpoints.get(final.id)).toBeNull();

    // A run whose corpus is in the trash waits for that corpus.
    const corpusItem = storage.trash.trashCorpus(corpus.id);
    expect(() => storage.trash.restore(again.id)).toThrow(/^Run "taken" trained on a corpus that is in the trash or gone; restore that corpus first\.$/);
    expect(storage.trash.list().map((i) => i.id)).toEqual([corpusItem.id, again.id, checkpointItem.id]);

    expect(storage.trash.empty()).toBe(3);
    expect(storage.trash.list()).toEqual([]);
    expect(storage.db.prepare('SELECT count(*) AS n FROM trash_rows').get()).toEqual({ n: 0 });
    expect(() => storage.trash.restore(again.id)).toThrow(`Trash item #${again.id} does not exist.`);
  });

  it('a run deleted while training comes back stopped and owned by nobody', () => {
    const corpus = storage.corpora.add({ name: 'seed', text: 'hello, rnn! hello, rnn!', source: 'test' }).corpus;
    const run = addRun('live', corpus.id);
    storage.runs.claimRun(run.id, { pid: process.pid, hostId: 'here' });
    storage.trash.restore(storage.trash.trashRun(run.id).id);
    expect(storage.runs.get(run.id)).toMatchObject({ status: 'stopped', ownerPid: null, ownerHostId: null });
  });
});

describe('rnnwb rm, trash and restore', () => {
  it('rm moves a run to the trash, trash lists it, restore brings it back, trash --empty deletes for good', async () => {
    const temp = tempDir('rw-trash-cli-');
    try {
      const ok = async (args: string[]) => {
        const result = await runCli([...args, '--db', temp.db]);
        expect(result.stderr, args.join(' ')).toBe('');
        expect(result.code, args.join(' ')).toBe(0);
        return result.stdout;
      };
      await ok(['corpus', 'add', seedCorpus, '--name', 'seed']);
      const cliStorage = Storage.open(temp.db);
      const corpus = cliStorage.corpora.list()[0];
      const vocabulary = cliStorage.vocabularies.getOrCreate([...new Set(Array.from(cliStorage.corpora.text(corpus.id)!))].sort());
      const run = cliStorage.runs.create({
        name: 'kept', corpusId: corpus.id, vocabularyId: vocabulary.id, hyper, totalSteps: 10,
        reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: hyper.seed, hyper },
      });
      cliStorage.close();

      expect(await ok(['rm', 'kept'])).toMatch(/^Deleted run \d+ "kept" .*It is in the trash: `rnnwb restore (\d+)` puts it back/);
      expect(await ok(['runs'])).toMatch(/^No runs yet/);
      const listed = await ok(['trash']);
      expect(listed).toMatch(/id\s+kind\s+name/);
      expect(listed).toMatch(new RegExp(`\\brun\\s+kept\\b`));
      const trashId = /^\s*(\d+)\s+run/m.exec(listed)![1];
      expect(await ok(['restore', trashId])).toBe('Restored run "kept".\n');
      expect(await ok(['runs'])).toMatch(new RegExp(`^\\s*${run.id}\\s+kept`, 'm'));

      const refused = await runCli(['restore', trashId, '--db', temp.db]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`rnnwb: Trash item #${trashId} does not exist.\n`);

      await ok(['corpus', 'rm', 'seed', '--cascade']);
      expect(await ok(['trash', '--empty'])).toBe('Emptied the trash: 1 item(s) deleted for good.\n');
      expect(await ok(['trash'])).toBe('The trash is empty.\n');
    } finally {
      temp.remove();
    }
  }, 120_000);
});
