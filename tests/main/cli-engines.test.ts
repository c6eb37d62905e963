/**
 * Choosing an engine through the real `rnnwb`: a run moves between the built-in engine and PyTorch
 * (each move an exact continuation as far as float arithmetic allows), every segment is recorded,
 * `rnnwb engines` lists what there is, and the faults are sentences. PyTorch is Debian's
 * /usr/bin/python3 (tests/engine/python.ts); these tests fail, never skip, where it lacks torch.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Storage } from '../../main/storage/index.ts';
import { PYTHON } from '../engine/python.ts';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-engines-');
const JOB = ['--corpus', seedCorpus, '--hidden', '16', '--embed', '8', '--batch', '8', '--seed', '7', '--json'];

/** A python that cannot import torch: Debian's python without its site directories. */
const noTorchPython = path.join(tmp.dir, 'python-without-torch');

beforeAll(() => {
  process.env.RNNWB_PYTHON = PYTHON; // the CLI children inherit it
  writeFileSync(noTorchPython, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
  chmodSync(noTorchPython, 0o755);
});
afterAll(() => tmp.remove());

/** step → training loss, from a --json run's progress lines. */
function lossesOf(stdout: string): Map<number, number> {
  return new Map(jsonLines(stdout).filter((line) => line.type === 'progress').map((line) => [line.step as number, line.trainLoss as number]));
}

function doneOf(stdout: string): Record<string, any> {
  return jsonLines(stdout).find((line) => line.type === 'done')!;
}

describe('a run moves between engines', () => {
  it('built-in 20 steps, PyTorch to 40, built-in again to 60: the losses of one straight built-in run, and three recorded segments', async () => {
    const straight = await runCli(['train', '--db', tmp.db, '--name', 'straight', '--steps', '60', ...JOB]);
    expect(straight.code, straight.stderr).toBe(0);
    const first = await runCli(['train', '--db', tmp.db, '--name', 'moving', '--steps', '20', ...JOB]);
    expect(first.code, first.stderr).toBe(0);
    const onTorch = await runCli(['resume', 'moving', '--db', tmp.db, '--steps', '40', '--engine', 'pytorch', '--device', 'cpu', '--name', 'moving-torch', '--json']);
    expect(onTorch.code, onTorch.stderr).toBe(0);
    const back = await runCli(['resume', 'moving-torch', '--db', tmp.db, '--steps', '60', '--engine', 'builtin', '--name', 'moving-back', '--json']);
    expect(back.code, back.stderr).toBe(0);

    const reference = lossesOf(straight.stdout);
    const chained = new Map([...lossesOf(first.stdout), ...lossesOf(onTorch.stdout), ...lossesOf(back.stdout)]);
    expect([...chained.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const [step, loss] of chained) {
      // float32 on both engines, different summation orders: the bar of 1e-4 relative (measured: ≤ 1.1e-6).
      expect(Math.abs(loss - reference.get(step)!) / reference.get(step)!, `step ${step}`).toBeLessThan(1e-4);
    }

    const shown = await runCli(['show', 'moving-back', '--db', tmp.db]);
    expect(shown.stdout).toMatch(/engine: built-in · cpu from step 0 \(kernels [\w-]+, threads \d+\)\nengine: PyTorch · cpu from step 20 \(torch [\d.]+\w*[,)].*\nengine: built-in · cpu from step 40/);
    const detail = JSON.parse((await runCli(['show', 'moving-torch', '--db', tmp.db, '--json'])).stdout);
    expect(detail.hyper).toMatchObject({ engine: 'pytorch', device: 'cpu' });
    expect(detail.reproduction.segments.map((s: { engine: string; fromStep: number }) => [s.engine, s.fromStep])).toEqual([['builtin', 0], ['pytorch', 20]]);
  }, 180_000);

  it('compare says which engine trained each run', async () => {
    const compared = await runCli(['compare', 'straight', 'moving-torch', '--db', tmp.db]);
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toMatch(/trained on\s+built-in · cpu\s+built-in · cpu from step 0, PyTorch · cpu from step 20/);
  }, 60_000);
});

describe('refusals and faults', () => {
  it('a device without the PyTorch engine is refused before anything is stored (exit 2)', async () => {
    const t = tempDir('rnnwb-engines-refuse-');
    try {
      const result = await runCli(['train', '--db', t.db, '--corpus', seedCorpus, '--steps', '5', '--device', 'cuda']);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe('rnnwb: Device other than auto needs Engine pytorch (got "cuda").');
      expect((await runCli(['runs', '--db', t.db, '--json'])).stdout.trim()).toBe('');
    } finally {
      t.remove();
    }
  }, 60_000);

  it('no PyTorch: the run fails with the install sentence (exit 1), and the engines list says the same', async () => {
    const previous = process.env.RNNWB_PYTHON;
    process.env.RNNWB_PYTHON = noTorchPython;
    try {
      const result = await runCli(['train', '--db', tmp.db, '--name', 'no-torch', '--steps', '5', '--engine', 'pytorch', ...JOB]);
      expect(result.code).toBe(1);
      const done = doneOf(result.stdout);
      expect(done.status).toBe('failed');
      expect(done.reason).toMatch(/PyTorch is not installed for .*: install it with .* \(Debian\/Ubuntu: `sudo apt-get install python3-torch`\)/);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace

      const engines = JSON.parse((await runCli(['engines', '--db', tmp.db, '--json'])).stdout);
      expect(engines.pytorch).toMatchObject({ python: noTorchPython, pythonFrom: 'environment', found: null });
      expect(engines.pytorch.problem).toMatch(/apt-get install python3-torch/);
    } finally {
      process.env.RNNWB_PYTHON = previous;
    }
  }, 60_000);
});

describe('the device reaches the engine', () => {
  it('--device cuda: trains on the GPU where there is one, else fails with the engine\'s CUDA sentence (exit 1)', async () => {
    const engines = JSON.parse((await runCli(['engines', '--db', tmp.db, '--json'])).stdout);
    const result = await runCli(['train', '--db', tmp.db, '--name', 'on-cuda', '--steps', '3', '--engine', 'pytorch', '--device', 'cuda', ...JOB]);
    const done = doneOf(result.stdout);
    if (engines.pytorch.found.cuda.length > 0) {
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse((await runCli(['show', 'on-cuda', '--db', tmp.db, '--json'])).stdout).reproduction.segments[0].device).toMatch(/^cuda:0 /);
    } else {
      expect(result.code).toBe(1);
      expect(done).toMatchObject({ status: 'failed' });
      expect(done.reason).toMatch(/^CUDA was asked for, but PyTorch .* train on device cpu or auto/);
    }
  }, 60_000);
});

describe('rnnwb engines', () => {
  it('lists the built-in engine and PyTorch with its version and devices', async () => {
    const result = await runCli(['engines', '--db', tmp.db, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.builtin.kernelPath).toMatch(/^(typescript|wasm-simd|wasm-relaxed-simd)$/);
    expect(info.builtin.threads).toBeGreaterThanOrEqual(1);
    expect(info.pytorch).toMatchObject({ python: PYTHON, pythonFrom: 'environment', problem: null });
    expect(info.pytorch.found.torchVersion).toMatch(/^\d+\.\d+/);
    expect(Array.isArray(info.pytorch.found.cuda)).toBe(true);
    const text = await runCli(['engines', '--db', tmp.db]);
    expect(text.stdout).toMatch(/^built-in: CPU, kernels [\w-]+, up to \d+ threads\nPyTorch: torch [\d.]+\w*, Python [\d.]+ at /);
  }, 60_000);

  it('the python setting: a path that cannot run PyTorch is refused with a sentence and not stored; a good one is, until cleared', async () => {
    const previous = process.env.RNNWB_PYTHON;
    delete process.env.RNNWB_PYTHON;
    try {
      const bad = await runCli(['engines', '--db', tmp.db, '--python', path.join(tmp.dir, 'no-such-python')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^rnnwb: Not saved: There is no .*no-such-python on this computer: install Python 3.10 or newer with PyTorch/);
      const noTorch = await runCli(['engines', '--db', tmp.db, '--python', noTorchPython]);
      expect(noTorch.code).toBe(2);
      expect(noTorch.stderr).toMatch(/^rnnwb: Not saved: PyTorch is not installed for/);
      expect(openSettings()).toBeNull();

      const good = await runCli(['engines', '--db', tmp.db, '--python', PYTHON, '--json']);
      expect(good.code, good.stderr).toBe(0);
      expect(JSON.parse(good.stdout).pytorch).toMatchObject({ python: PYTHON, pythonFrom: 'setting', problem: null });
      expect(openSettings()).toBe(PYTHON);

      // The stored python is the one a PyTorch run gets when $RNNWB_PYTHON is unset.
      const trained = await runCli(['train', '--db', tmp.db, '--name', 'by-setting', '--steps', '3', '--engine', 'pytorch', ...JOB]);
      expect(trained.code, trained.stderr).toBe(0);

      const cleared = await runCli(['engines', '--db', tmp.db, '--default-python', '--json']);
      expect(JSON.parse(cleared.stdout).pytorch.pythonFrom).toBe('default');
      expect(openSettings()).toBeNull();
    } finally {
      process.env.RNNWB_PYTHON = previous;
    }
  }, 120_000);
});

function openSettings(): string | null {
  const storage = Storage.open(tmp.db);
  try {
    return storage.settings.get('pythonPath');
  } finally {
    storage.close();
  }
}
