/**
 * `importRunFiles`, the API behind dropping a project folder on the app, through a real `rnnwb serve`
 * over WebSocket: a project exported by the CLI and run by /usr/bin/python3 is sent as its files and
 * comes back into its run once; a path out of the folder is refused in a sentence with nothing written.
 * Fails, never skips, without PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON } from '../engine/python.ts';
import { requireTorch } from '../engine/pytorch-runs.ts';
import { runCli, seedCorpus, startServe, tempDir, type ServeProcess } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-import-files-');
const db = ['--db', tmp.db];
let serve: ServeProcess | null = null;
beforeAll(() => {
  requireTorch();
  process.env.RNNWB_PYTHON = PYTHON;
});
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

/** Every file under `dir` as the renderer sends a dropped folder: '/'-separated paths relative to it. */
function folderFiles(dir: string): { path: string; bytes: Uint8Array }[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .map((name) => ({ path: name.split(path.sep).join('/'), bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
}

const importFolders = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('rnnwb-import-') && !tmp.dir.endsWith(name)).sort();

describe('importRunFiles over a real serve', () => {
  it('brings a dropped project folder back into its run once, and refuses paths out of the folder', async () => {
    const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--batch', '15', '--steps', '10', '--checkpoint-every', '5', '--engine', 'pytorch', '--name', 'dropped', ...db]);
    expect(trained.code, trained.stderr).toBe(0);
    const project = path.join(tmp.dir, 'project');
    expect((await runCli(['export-project', 'dropped', project, '--steps', '20', ...db])).code).toBe(0);
    const ran = spawnSync(PYTHON, ['trainer/main.py', '--project', '.'], { cwd: project, encoding: 'utf8' });
    expect(ran.status, ran.stderr).toBe(0);

    serve = await startServe(tmp.db);
    const api = serve.connect();
    const { id } = await api.resolveRun('dropped');
    expect((await api.getRun(id)).step).toBe(10);
    const before = importFolders();
    const files = folderFiles(project);
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['job.json', 'events.jsonl', 'trainer/main.py', 'checkpoints/step-000000020-final.ckpt']));

    const first = await api.importRunFiles({ files });
    expect(first).toMatchObject({ runId: id, name: 'dropped', progressAdded: 10, ended: 'done', missing: [] });
    expect(first.checkpointsAdded).toBeGreaterThan(0);
    expect(await api.getRun(id)).toMatchObject({ step: 20, status: 'done' });
    expect(await api.importRunFiles({ files })).toMatchObject({ progressAdded: 0, checkpointsAdded: 0 });
    expect(importFolders()).toEqual(before); // the temporary copy is gone each time

    const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: Error) => error.message);
    const rule = 'must be a path inside the project folder made of plain names (no "..", no leading "/").';
    const metrics = (await api.runMetrics(id)).length;
    for (const bad of ['../x', '/etc/passwd', 'checkpoints/../../x', '']) {
      const message = await refusal(api.importRunFiles({ files: [...files, { path: bad, bytes: new Uint8Array([1]) }] }));
      expect(message).toBe(`importRunFiles: input.files.${files.length}.path: ${rule}`);
    }
    expect(await refusal(api.importRunFiles({ files: [files[0], files[0]] }))).toBe('importRunFiles: input.files: names a file twice.');
    expect(await refusal(api.importRunFiles({ files: [] }))).toBe('importRunFiles: input.files: must hold at least one file.');
    expect(await refusal(api.importRunFiles({ files: files.filter((f) => f.path !== 'job.json') }))).toBe('The folder has no job.json at its top, so it is not an exported project; send the folder that holds job.json.');
    expect(importFolders()).toEqual(before);
    expect((await api.runMetrics(id)).length).toBe(metrics);
    expect(await api.getRun(id)).toMatchObject({ step: 20, status: 'done' });
  }, 300_000);
});
