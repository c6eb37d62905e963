/** The CLI is used from anywhere, not only from the repository: the engine process must start all the same. */
import os from 'node:os';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, finished, jsonLines, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-cli-cwd-');
afterAll(() => tmp.remove());

describe('rnnwb run from another folder', () => {
  it('trains to done with the working directory outside the repository', async () => {
    const child = spawn(process.execPath, [cliPath, 'train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '20', '--json', '--db', tmp.db], {
      cwd: os.tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await finished(child);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({ type: 'done', status: 'done', step: 20 });
  });
});
