import { describe, expect, it } from 'vitest';
import { API_METHODS, ApiError } from '../../main/api/contract.ts';
import { isApiMethod, validateCall } from '../../main/api/schemas.ts';
import { DEFAULT_HYPERPARAMETERS } from '../../engine/config.ts';

function refusal(method: unknown, args: unknown): ApiError {
  try {
    validateCall(method, args);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`validateCall(${String(method)}) accepted ${JSON.stringify(args)}`);
}

describe('validateCall', () => {
  it('knows every API method and nothing else', () => {
    for (const method of API_METHODS) expect(isApiMethod(method)).toBe(true);
    expect(isApiMethod('onRunEvent')).toBe(false);
    expect(isApiMethod('constructor')).toBe(false);
    const error = refusal('dropDatabase', []);
    expect(error.code).toBe('bad-input');
    expect(error.message).toBe('Unknown method "dropDatabase".');
  });

  it('passes well-formed calls through unchanged', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(validateCall('getRun', [7])).toEqual([7]);
    expect(validateCall('listRuns', [])).toEqual([]);
    const [input] = validateCall('importCheckpoint', [{ bytes, name: 'x', vocab: { chars: ['a', 'b'] } }]) as [{ bytes: Uint8Array }];
    expect(input.bytes).toBe(bytes);
    const full = { corpusId: 1, name: 'r', preset: 'reference', hyper: { ...DEFAULT_HYPERPARAMETERS }, sample: { length: 50 } };
    expect(validateCall('createRun', [full])).toEqual([full]);
    // An optional argument may be left out or passed as undefined.
    expect(validateCall('deleteCorpus', [3])).toEqual([3, undefined]);
    expect(validateCall('deleteCorpus', [3, { cascade: true }])).toEqual([3, { cascade: true }]);
    expect(validateCall('corpusStats', [3, 10, 'every'])).toEqual([3, 10, 'every']);
  });

  it('leaves range checks to the hyperparameter validation (NaN and 0 get through as numbers)', () => {
    const [input] = validateCall('checkHyperparameters', [{ hyper: { lr: Number.NaN, hidden: 0 } }]) as [{ hyper: { lr: number; hidden: number } }];
    expect(Number.isNaN(input.hyper.lr)).toBe(true);
    expect(input.hyper.hidden).toBe(0);
  });

  it('names the field of a malformed argument', () => {
    expect(refusal('getRun', ['1']).message).toMatch(/^getRun: id: .*expected number/);
    expect(refusal('getRun', []).message).toBe('getRun: id is missing.');
    expect(refusal('getRun', [1.5]).message).toMatch(/^getRun: id: /);
    expect(refusal('createRun', [{ corpusId: 1, hyper: { hidden: '64' } }]).message).toBe('createRun: input.hyper.hidden: expected a number.');
    expect(refusal('createRun', [{ corpusId: 1, hyper: { hiden: 64 } }]).message).toBe('createRun: input.hyper has an unknown field "hiden".');
    expect(refusal('createRun', [{ corpusId: 1, hyper: { cell: 'transformer' } }]).message).toMatch(/^createRun: input\.hyper\.cell: .*"lstm"/);
    expect(refusal('createRun', [{ hyper: {} }]).message).toBe('createRun: input.corpusId is missing.');
    expect(refusal('createRun', [{ corpusId: 1, preset: 'huge' }]).message).toMatch(/^createRun: input\.preset: /);
    expect(refusal('createSweep', [{ corpusId: 1, grid: { hidden: [] } }]).message).toMatch(/^createSweep: input\.grid\.hidden: needs at least one value/);
    expect(refusal('createSweep', [{ corpusId: 1, grid: { colour: [1] } }]).message).toMatch(/^createSweep: input\.grid/);
    expect(refusal('addCorpus', [{ name: 'a' }]).message).toBe('addCorpus: input: needs either text or bytes.');
    expect(refusal('addCorpus', [{ name: 'a', bytes: [1, 2] }]).message).toMatch(/^addCorpus: input\.bytes: expected bytes/);
    expect(refusal('importCheckpoint', [{ bytes: new Uint8Array(1), vocab: { chars: 'ab' } }]).message).toMatch(/^importCheckpoint: input\.vocab/);
    expect(refusal('predict', [{ checkpointId: 1, text: 'abc', k: 0 }]).message).toMatch(/^predict: input\.k: /);
    expect(refusal('setConcurrency', [0]).message).toMatch(/^setConcurrency: limit: /);
  });

  it('refuses extra arguments and arguments that are not a list', () => {
    expect(refusal('listRuns', [1]).message).toBe('listRuns takes at most 0 arguments (got 1).');
    expect(refusal('getRun', [1, 2]).message).toBe('getRun takes at most 1 argument (got 2).');
    expect(refusal('getRun', { 0: 1 }).message).toBe('getRun: the arguments must be a list.');
  });

  it('every refusal is a single readable line', () => {
    const cases: [string, unknown[]][] = [
      ['getCorpus', [null]], ['updateCorpus', [1, { text: 5 }]], ['generate', [{ checkpointId: 1, prime: 'a' }]],
      ['compare', [{ runIds: ['a'] }]], ['evaluate', [{ checkpointId: 1, corpusId: -1 }]], ['exportCheckpoint', [{}]],
    ];
    for (const [method, args] of cases) {
      const error = refusal(method, args);
      expect(error.code).toBe('bad-input');
      expect(error.message.startsWith(`${method}: `)).toBe(true);
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
