/**
 * What this computer offers to train on, and which python the PyTorch engine runs: $RNNWB_PYTHON,
 * else the stored setting (the Engines panel, `setPythonPath`), else `python3` on the PATH. PyTorch is
 * asked by running the engine itself (`engine/pytorch/main.py --describe`), so what is listed is what
 * a run would get; a python without torch answers with the engine's own install sentence.
 */
import { spawn } from 'node:child_process';
import { nodeKernelHost } from '../../engine/host.ts';
import { loadKernels } from '../../engine/kernels/index.ts';
import { ApiError, type EnginesInfo, type PytorchInfo } from '../api/contract.ts';
import type { Storage } from '../storage/index.ts';
import { PYTORCH_ENGINE_SCRIPT } from './pytorch-launcher.ts';
import { loneRunThreads } from './thread-share.ts';

/** How long a python gets to say what it offers (importing torch can take seconds on a cold disk). */
const DESCRIBE_TIMEOUT_MS = 60_000;

export function pythonChoice(storage: Storage | null): { python: string; from: PytorchInfo['pythonFrom'] } {
  if (process.env.RNNWB_PYTHON) return { python: process.env.RNNWB_PYTHON, from: 'environment' };
  const stored = storage?.isOpen ? storage.settings.get('pythonPath') : null;
  if (stored) return { python: stored, from: 'setting' };
  return { python: 'python3', from: 'default' };
}

/** The install sentence when there is no python at all to ask. */
const installSentence = (python: string) =>
  `There is no ${python} on this computer: install Python 3.10 or newer with PyTorch (Debian/Ubuntu: \`sudo apt-get install python3-torch\`; elsewhere: \`pip install torch\`), or choose which python to use.`;

/** Runs the engine's --describe with this python: PyTorch's versions and devices, or why not. */
export function describePytorch(python: string, from: PytorchInfo['pythonFrom'] = 'default'): Promise<PytorchInfo> {
  return new Promise((resolve) => {
    const answer = (found: PytorchInfo['found'], problem: string | null) => resolve({ python, pythonFrom: from, found, problem });
    let out = '';
    let err = '';
    const child = spawn(python, [PYTORCH_ENGINE_SCRIPT, '--describe'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), DESCRIBE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-2000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      answer(null, error.code === 'ENOENT' || error.code === 'EACCES' ? installSentence(python) : `${python} could not be run: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      let parsed: Record<string, unknown> | null = null;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = null;
      }
      if (parsed && parsed.type === 'error' && typeof parsed.message === 'string') return answer(null, parsed.message);
      if (code === 0 && parsed && typeof parsed.torch === 'string') {
        return answer({
          pythonVersion: String(parsed.pythonVersion),
          torchVersion: parsed.torch,
          cuda: Array.isArray(parsed.cuda) ? (parsed.cuda as { index: number; name: string; memoryBytes: number }[]) : [],
          mps: parsed.mps === true,
          threads: Number(parsed.threads) || 1,
        }, null);
      }
      const why = signal === 'SIGKILL' ? `did not answer within ${DESCRIBE_TIMEOUT_MS / 1000} s` : (err.trim().split('\n').pop() || `exited with code ${code}`);
      answer(null, `${python} cannot run the PyTorch engine (${why}). Install PyTorch for it (Debian/Ubuntu: \`sudo apt-get install python3-torch\`; elsewhere: \`pip install torch\`), or choose another python.`);
    });
  });
}

/** The built-in engine's fastest kernels here, and the threads a run alone gets. */
export async function describeBuiltin(): Promise<EnginesInfo['builtin']> {
  const kernels = await loadKernels(undefined, 1, nodeKernelHost);
  return { kernelPath: kernels.path, threads: loneRunThreads() };
}

export async function describeEngines(storage: Storage | null): Promise<EnginesInfo> {
  const { python, from } = pythonChoice(storage);
  const [builtin, pytorch] = await Promise.all([describeBuiltin(), describePytorch(python, from)]);
  return { builtin, pytorch };
}

/** Stores the python to use after checking it runs the PyTorch engine; null goes back to the default. */
export async function setPythonPath(storage: Storage, python: string | null): Promise<EnginesInfo> {
  if (python !== null) {
    const trimmed = python.trim();
    if (trimmed === '') throw new ApiError('The python path is empty: give the path of a python that has PyTorch, or clear the setting.');
    const probe = await describePytorch(trimmed, 'setting');
    if (!probe.found) throw new ApiError(`Not saved: ${probe.problem}`);
    storage.settings.set('pythonPath', trimmed);
  } else {
    storage.settings.set('pythonPath', null);
  }
  return describeEngines(storage);
}

/** Whether the run's device is there, from a description (null when it is, else the sentence). */
export function deviceProblem(info: PytorchInfo, device: string): string | null {
  if (!info.found) return info.problem;
  if (device === 'cuda' && info.found.cuda.length === 0) return `CUDA was asked for, but ${info.python} (PyTorch ${info.found.torchVersion}) sees no CUDA device: choose cpu or auto.`;
  if (device === 'mps' && !info.found.mps) return `MPS was asked for, but ${info.python} (PyTorch ${info.found.torchVersion}) has no MPS device (Apple silicon only): choose cpu or auto.`;
  return null;
}
