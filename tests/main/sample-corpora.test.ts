/**
 * The bundled sample corpora (main/samples) through the in-process API on a real database: they are
 * the shared corpora's texts, listed with the stored corpus that holds them, stored once however often
 * they are asked for; an unknown sample is refused in one sentence and stores nothing. And the
 * automatic run name of a corpus called "notes.txt" drops the ".txt".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/api/contract.ts';
import { validateCall } from '../../main/api/schemas.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { REPO_ROOT } from '../../main/runs/launcher.ts';
import { SAMPLES, sampleText } from '../../main/samples/index.ts';

const shared = (file: string) => readFileSync(path.resolve(REPO_ROOT, '../shared/corpora', file));

let dir: string;
let api: WorkbenchService;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'samples-'));
  api = createWorkbenchService({ dbPath: path.join(dir, 'workbench.db'), concurrency: 1 });
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bundled sample corpora', () => {
  it('are the shared corpora: the reference sentence and the Tang poems whole, Genesis as the start of the KJV', () => {
    expect(Buffer.from(sampleText('hello-rnn').bytes).equals(shared('seed-hello-rnn.txt'))).toBe(true);
    expect(Buffer.from(sampleText('tang300').bytes).equals(shared('tang300.txt'))).toBe(true);
    const kjv = sampleText('kjv-genesis').bytes;
    expect(kjv.length).toBeGreaterThan(150_000);
    expect(Buffer.from(kjv).equals(shared('kjv-1mib.txt').subarray(0, kjv.length))).toBe(true);
    expect(sampleText('tang300').chars).toBe(29_265);
  });

  it('each names its source and licence', () => {
    for (const sample of SAMPLES) {
      expect(sample.source.length).toBeGreaterThan(10);
      expect(sample.licence).toMatch(/public domain/i);
    }
  });

  it('are listed unstored on an empty database, then stored once: asking again gives back the same corpus', async () => {
    const before = await api.listSampleCorpora();
    expect(before.map((s) => [s.id, s.corpusId])).toEqual([['hello-rnn', null], ['tang300', null], ['kjv-genesis', null]]);
    expect(before[0].chars).toBe(102);

    const added = await api.addSampleCorpus('hello-rnn');
    expect(added.name).toBe('hello-rnn');
    expect(added.source).toBe('sample:hello-rnn');
    expect(added.existing).toBeUndefined();
    expect((await api.getCorpus(added.id)).text).toBe(shared('seed-hello-rnn.txt').toString('utf8'));

    const again = await api.addSampleCorpus('hello-rnn');
    expect(again.id).toBe(added.id);
    expect(again.existing).toBe(true);
    expect(await api.listCorpora()).toHaveLength(1);
    expect((await api.listSampleCorpora()).find((s) => s.id === 'hello-rnn')?.corpusId).toBe(added.id);
  });

  it('counts a corpus holding the same text under another name as stored', async () => {
    const pasted = await api.addCorpus({ name: 'my poems', bytes: new Uint8Array(shared('tang300.txt')) });
    expect((await api.listSampleCorpora()).find((s) => s.id === 'tang300')?.corpusId).toBe(pasted.id);
    const added = await api.addSampleCorpus('tang300');
    expect(added).toMatchObject({ id: pasted.id, existing: true });
  });

  it('refuses an unknown sample in one sentence naming the ones there are, and stores nothing', async () => {
    const count = (await api.listCorpora()).length;
    const refusal = await api.addSampleCorpus('shakespeare').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).message).toBe('There is no sample corpus "shakespeare"; the samples are "hello-rnn", "tang300", "kjv-genesis".');
    expect((refusal as ApiError).code).toBe('not-found');
    expect(await api.listCorpora()).toHaveLength(count);
    expect(() => validateCall('addSampleCorpus', [7])).toThrow(/^addSampleCorpus: sampleId: /);
  });
});

describe('automatic run names', () => {
  it('drop the ".txt" of the corpus name', async () => {
    const corpus = await api.addCorpus({ name: 'notes.TXT', text: 'hello, hello, hello, recurrent world' });
    const run = await api.createRun({ corpusId: corpus.id, preset: 'reference', hyper: { steps: 5 } });
    expect(run.name).toBe('notes-lstm64');
    await api.stopRun(run.id);
  });
});
