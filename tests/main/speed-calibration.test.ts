// The speed calibration New run's duration estimate uses before any run trained here
// (main/api/speed-calibration.ts): a real second of training in a query worker thread on a real
// database file, a positive chars/s, kept per model shape (a second call is instant and says so),
// a new measurement for another shape, and a sentence for what cannot be calibrated.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type Id } from '../../main/api/contract.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { CALIBRATION_MS } from '../../main/api/speed-calibration.ts';
import { openSeededStorage } from './run-helpers.ts';

let dir: string;
let api: WorkbenchService;
let corpusId: Id;

beforeAll(async () => {
  const seeded = openSeededStorage('rw-speed-calibration-');
  dir = seeded.dir;
  seeded.storage.close();
  api = createWorkbenchService({ dbPath: seeded.dbPath, concurrency: 1, offload: true });
  corpusId = (await api.listCorpora())[0].id;
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('calibrateSpeed', () => {
  it('times about a second of training steps and returns a positive chars/s, measured once per model shape', async () => {
    const first = await api.calibrateSpeed({ corpusId, preset: 'reference' });
    expect(first.cached).toBe(false);
    expect(first.charsPerSec).toBeGreaterThan(0);
    expect(first.steps).toBeGreaterThan(0);
    expect(first.measuredMs).toBeGreaterThanOrEqual(CALIBRATION_MS * 0.9);
    expect(first.parameterCount).toBe((await api.checkHyperparameters({ corpusId, preset: 'reference' })).parameterCount);

    const started = performance.now();
    const again = await api.calibrateSpeed({ corpusId, preset: 'reference' });
    expect(performance.now() - started).toBeLessThan(CALIBRATION_MS / 2);
    expect(again).toEqual({ ...first, cached: true });

    // Another shape (a wider hidden layer) is measured afresh, and more parameters train more slowly.
    const wider = await api.calibrateSpeed({ corpusId, preset: 'reference', hyper: { hidden: 256 } });
    expect(wider.cached).toBe(false);
    expect(wider.parameterCount).toBeGreaterThan(first.parameterCount);
    expect(wider.charsPerSec).toBeLessThan(first.charsPerSec);
  }, 60_000);

  it('refuses with one sentence what it cannot calibrate', async () => {
    const refusal = (call: Promise<unknown>) => call.then(() => null, (e: unknown) => e as ApiError);
    const pytorch = await refusal(api.calibrateSpeed({ corpusId, hyper: { engine: 'pytorch' } }));
    expect(pytorch).toBeInstanceOf(ApiError);
    expect(pytorch!.message).toBe('Only the built-in engine can be calibrated; PyTorch runs are estimated from past runs only.');
    const missing = await refusal(api.calibrateSpeed({ corpusId: 999, preset: 'reference' }));
    expect(missing!.message).toBe('No corpus with id 999.');
    const bad = await refusal(api.calibrateSpeed({ hyper: { hidden: 0 } }));
    expect(bad!.message).toMatch(/hidden/i);
  });
});
