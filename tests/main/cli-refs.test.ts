/**
 * The CLI with run and checkpoint references, end to end on a real database: compare and rm take
 * checkpoints (RUN@STEP, #ID), run-only commands refuse them, generate works without --prime, a
 * duplicate corpus says where it is stored, import --vocab reads a .json array or a text, every
 * command answers --help, and a run whose engine dies makes `train` exit 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOf, finished, jsonLines, runCli, seedCorpus, startCli, tempDir, type CliResult } from './cli-helpers.ts';

const sentence = readFileSync(seedCorpus, 'utf8');
const tmp = tempDir('rnnwb-cli-refs-');
const db = ['--db', tmp.db];

/** A command that must succeed; its output. */
async function ok(args: string[]): Promise<CliResult> {
  const result = await runCli([...args, ...db]);
  expect(result.code, `${args.join(' ')} → ${result.stderr}`).toBe(0);
  return result;
}

/** A command refused as bad input (exit 2); its one stderr line. */
async function refused(args: string[]): Promise<string> {
  const result = await runCli([...args, ...db]);
  expect(result.code, `${args.join(' ')} → ${result.stdout}${result.stderr}`).toBe(2);
  return result.stderr.trim();
}

const checkpointsOf = async (run: string): Promise<{ id: number; step: number; kind: string }[]> =>
  jsonLines((await ok(['show', run, '--json'])).stdout)[0].checkpoints;

beforeAll(async () => {
  // Two short runs with a checkpoint every 10 steps (the reference model: window 10, objective next).
  for (const name of ['j', 'kk']) {
    await ok(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '30', '--checkpoint-every', '10', '--keep-last', '5', '--name', name, '--json']);
  }
}, 300_000);

afterAll(() => tmp.remove());

describe('checkpoint references where runs are expected', () => {
  it('compare takes checkpoints of different runs and of the same run; the CSV names each row once', async () => {
    const table = await ok(['compare', 'j@10', 'kk@20', '--csv']);
    const rows = table.stdout.trim().split('\n').map((line) => line.split(','));
    expect(rows[0]).toEqual(['field', 'j@10', 'kk@20']);
    const fields = rows.map((r) => r[0]);
    expect(new Set(fields).size).toBe(fields.length);
    expect(rows.find((r) => r[0] === 'checkpoint step')!.slice(1)).toEqual(['10', '20']);
    expect(rows.find((r) => r[0] === 'step reached')!.slice(1)).toEqual(['30', '30']);

    const sameRun = await ok(['compare', 'j@10', 'j@20', '--csv']);
    expect(sameRun.stdout.split('\n')[0]).toBe('field,j@10,j@20');
    expect(await refused(['compare', 'j@10', 'j@10'])).toMatch(/named twice/);
    expect(await refused(['compare', 'j', 'j'])).toMatch(/Run "j" is named twice/);
  });

  it('show, rename and resume refuse a checkpoint reference instead of acting on its run', async () => {
    const [first] = await checkpointsOf('j');
    expect(await refused(['show', 'j@final'])).toMatch(/"j@final" names a checkpoint; `rnnwb show` takes a run/);
    expect(await refused(['rename', `#${first.id}`, 'other'])).toMatch(/names a checkpoint; `rnnwb rename` takes a run/);
    expect(await refused(['resume', 'j@10', '--steps', '40'])).toMatch(/names a checkpoint; `rnnwb resume` takes a run/);
    expect(jsonLines((await ok(['runs', '--json'])).stdout).map((r) => r.name).sort()).toEqual(['j', 'kk']);
  });

  it('rm RUN@STEP and rm #ID delete just that checkpoint; the run stays', async () => {
    const before = await checkpointsOf('kk');
    const at10 = before.find((c) => c.step === 10)!;
    const at20 = before.find((c) => c.step === 20)!;
    expect((await ok(['rm', 'kk@10'])).stdout).toMatch(new RegExp(`Deleted checkpoint #${at10.id} \\(kk@10\\)`));
    expect((await ok(['rm', `#${at20.id}`])).stdout).toMatch(/Deleted checkpoint #\d+ \(kk@20\)/);
    const after = await checkpointsOf('kk');
    expect(after.map((c) => c.id).sort()).toEqual(before.filter((c) => c.id !== at10.id && c.id !== at20.id).map((c) => c.id).sort());
    expect(jsonLines((await ok(['runs', '--json'])).stdout).map((r) => r.name).sort()).toEqual(['j', 'kk']);
  });
});

describe('playground and corpus commands', () => {
  it('generate works without --prime: it starts from the run\'s sample prompt', async () => {
    const result = await ok(['generate', 'j', '--length', '20', '--json']);
    const [generated] = jsonLines(result.stdout);
    expect(generated.prime.length).toBeGreaterThan(0);
    expect(sentence.startsWith(generated.prime)).toBe(true);
    expect(Array.from(generated.text as string).length).toBeGreaterThanOrEqual(20);
  });

  it('adding a text already stored says which corpus holds it', async () => {
    const copy = path.join(tmp.dir, 'copy.txt');
    writeFileSync(copy, sentence);
    const result = await ok(['corpus', 'add', copy, '--name', 'ten2']);
    expect(result.stdout).toMatch(new RegExp(`^Already stored as corpus \\d+ "${path.basename(seedCorpus).replace('.', '\\.')}"`));
    const added = jsonLines((await ok(['corpus', 'add', copy, '--name', 'ten2', '--json'])).stdout)[0];
    expect(added.existing).toBe(true);
    expect(jsonLines((await ok(['corpus', 'list', '--json'])).stdout).map((c) => c.name)).not.toContain('ten2');
  });

  it('import --vocab gives a plain state_dict its vocabulary, from a .json array or from a text file', async () => {
    const exported = path.join(tmp.dir, 'j.safetensors');
    await ok(['export', 'j@final', exported]);
    const { plain, vocab } = withoutMetadata(new Uint8Array(readFileSync(exported)));
    const plainFile = path.join(tmp.dir, 'plain.safetensors');
    writeFileSync(plainFile, plain);
    expect(await refused(['import', plainFile, '--name', 'no-vocab'])).toMatch(/no vocabulary/);

    const vocabJson = path.join(tmp.dir, 'vocab.json');
    writeFileSync(vocabJson, JSON.stringify(vocab));
    const fromJson = jsonLines((await ok(['import', plainFile, '--vocab', vocabJson, '--name', 'from-json', '--json'])).stdout)[0];
    expect(fromJson.vocabSize).toBe(vocab.length);
    const fromText = jsonLines((await ok(['import', plainFile, '--vocab', seedCorpus, '--name', 'from-text', '--json'])).stdout)[0];
    expect(fromText.vocabSize).toBe(vocab.length);

    const texts = [sentence.slice(0, 10), sentence.slice(30, 40)];
    const original = jsonLines((await ok(['predict', 'j@final', ...texts, '--json'])).stdout).map((p) => p.top);
    expect(jsonLines((await ok(['predict', 'from-json', ...texts, '--json'])).stdout).map((p) => p.top)).toEqual(original);
    expect(jsonLines((await ok(['predict', 'from-text', ...texts, '--json'])).stdout).map((p) => p.top)).toEqual(original);
  });
});

describe('every command', () => {
  it('answers --help with its usage and exit code 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.split('Commands:')[1].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['corpus', 'train', 'resume', 'rm', 'compare', 'generate', 'import', 'serve']));
    const invocations = [...commands.map((c) => [c]), ['corpus', 'add'], ['corpus', 'list'], ['corpus', 'rm']];
    for (const words of invocations) {
      const result = await runCli([...words, '--help']);
      expect(result.code, `${words.join(' ')} --help → ${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: rnnwb ${words.join(' ')}`));
    }
  }, 120_000);
});

describe('a run whose engine dies', () => {
  it('ends failed, with the step said once, and train exits 1', async () => {
    const child = startCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '1000000', '--name', 'doomed', ...db]);
    const result = finished(child);
    try {
      // The engine is the CLI's child process (a Node fork running engine/worker.ts); wait until it is there.
      const engine = await engineOf(child.pid!);
      await trainedSomeSteps('doomed');
      process.kill(engine, 'SIGKILL');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(1);
    const last = stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^Run \d+ "doomed": failed at step \d+\/1000000 — The engine process was killed by signal SIGKILL/);
    expect(last.match(/at step/g)).toHaveLength(1);
    expect(last).not.toMatch(/\.\s*at step|\.;|\.\.$/);
    expect(jsonLines((await ok(['show', 'doomed', '--json'])).stdout)[0].status).toBe('failed');
  }, 120_000);
});

/** Waits until the run has stored progress, so its engine's death has a step to name. */
async function trainedSomeSteps(run: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const shown = await runCli(['show', run, '--json', ...db]);
    if (shown.code === 0 && jsonLines(shown.stdout)[0].step > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Run "${run}" stored no progress.`);
}


/** A workbench safetensors file as a plain PyTorch state_dict (no __metadata__), and the vocabulary it had. */
function withoutMetadata(bytes: Uint8Array): { plain: Uint8Array; vocab: string[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  const vocab = JSON.parse((header.__metadata__ as { vocab: string }).vocab) as string[];
  delete header.__metadata__;
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(8, ' '));
  const plain = new Uint8Array(8 + json.length + bytes.length - 8 - headerLength);
  new DataView(plain.buffer).setBigUint64(0, BigInt(json.length), true);
  plain.set(json, 8);
  plain.set(bytes.subarray(8 + headerLength), 8 + json.length);
  return { plain, vocab };
}
