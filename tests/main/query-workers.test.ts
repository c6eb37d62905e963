// The long calls (inference and compare) in query worker threads with their own read-only SQLite
// connection (main/api/query-workers.ts): the same answers and the same refusals as the same code run
// in process, on a real database file with a really trained run; a deleted checkpoint is forgotten there too.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type Id } from '../../main/api/contract.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { QueryWorkers } from '../../main/api/query-workers.ts';
import { compare, compareCsv } from '../../main/api/service-compare.ts';
import { Playground } from '../../main/api/service-playground.ts';
import { openSeededStorage } from './run-helpers.ts';

let dir: string;
let api: WorkbenchService;
/** The same code in this thread, over the service's own connection. */
let here: Playground;
let runId: Id;
let checkpointIds: Id[];

beforeAll(async () => {
  const seeded = openSeededStorage('rw-query-workers-');
  dir = seeded.dir;
  seeded.storage.close();
  api = createWorkbenchService({ dbPath: seeded.dbPath, concurrency: 1, offload: true });
  const corpusId = (await api.listCorpora())[0].id;
  runId = (await api.createRun({
    corpusId, preset: 'reference', name: 'small', hyper: { hidden: 12, embed: 6, steps: 40, valFraction: 0.2, evalEvery: 20, checkpointEvery: 20 },
  })).id;
  await api.runs.whenSettled(runId);
  checkpointIds = (await api.listCheckpoints(runId)).map((c) => c.id);
  here = new Playground(api.storage);
}, 120_000);

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(call: Promise<unknown>): Promise<{ message: string; code: string }> {
  const error = await call.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return { message: (error as ApiError).message, code: (error as ApiError).code };
}

describe('query workers', () => {
  it('answer predict, generate, trace, evaluate and compare exactly as the same code in process', async () => {
    expect(checkpointIds.length).toBeGreaterThanOrEqual(2);
    const checkpointId = checkpointIds.at(-1)!;
    expect(await api.predict({ checkpointId, text: 'Hello', k: 3 })).toEqual(await here.predict({ checkpointId, text: 'Hello', k: 3 }));
    const generateInput = { checkpointId, prime: 'He', length: 2000, temperature: 0.7, seed: 3 };
    expect(await api.generate(generateInput)).toEqual(await here.generate(generateInput));
    expect(await api.generate({ checkpointId, prime: '', length: 50 })).toEqual(await here.generate({ checkpointId, prime: '', length: 50 }));
    expect(await api.trace({ checkpointId, text: 'Hello' })).toEqual(await here.trace({ checkpointId, text: 'Hello' }));
    expect(await api.evaluate({ checkpointId })).toEqual(await here.evaluate({ checkpointId }));
    const compareInput = { runIds: [runId], checkpointIds, prompt: 'He', sampleLength: 100 };
    expect(await api.compare(compareInput)).toEqual(await compare(api.storage, here, compareInput));
    expect(await api.compareCsv(compareInput)).toEqual(await compareCsv(api.storage, here, compareInput));
  });

  it('refuse with the same sentence and code', async () => {
    const checkpointId = checkpointIds[0];
    const cases: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [() => api.predict({ checkpointId, text: 'Hellö' }), () => here.predict({ checkpointId, text: 'Hellö' })],
      [() => api.predict({ checkpointId: 424242, text: 'Hello' }), () => here.predict({ checkpointId: 424242, text: 'Hello' })],
      [() => api.generate({ checkpointId, prime: 'He', length: 0 }), () => here.generate({ checkpointId, prime: 'He', length: 0 })],
      [() => api.compare({ runIds: [] }), () => compare(api.storage, here, { runIds: [] })],
    ];
    for (const [away, local] of cases) {
      const expected = await refusal(local());
      expect(expected.message).not.toMatch(/Internal error/);
      expect(await refusal(away())).toEqual(expected);
    }
  });

  it('answer every call with one sentence when a worker cannot start or dies, and start afresh for the next call', async () => {
    const broken = new QueryWorkers(api.storage.path, 1, path.join(dir, 'no-such-worker.js'));
    try {
      for (let i = 0; i < 2; i++) {
        const { message, code } = await refusal(broken.call('predict', { checkpointId: checkpointIds[0], text: 'Hello' }));
        expect(code).toBe('internal');
        expect(message).toMatch(/^Internal error: the query worker stopped \(.+\); try again\.$/);
      }
    } finally {
      await broken.close();
    }
    await expect(broken.call('predict', { checkpointId: checkpointIds[0], text: 'Hello' })).rejects.toThrow('The workbench service is closed.');
  });

  it('know a deleted checkpoint is gone, though a worker loaded its model before', async () => {
    const checkpointId = checkpointIds[0];
    await api.predict({ checkpointId, text: 'Hello' });
    await api.deleteCheckpoint(checkpointId);
    expect(await refusal(api.predict({ checkpointId, text: 'Hello' }))).toEqual({ message: `No checkpoint with id ${checkpointId}.`, code: 'not-found' });
  });
});
