/**
 * The PyTorch engine as a process (engine/pytorch/main.py behind main/runs/pytorch-launcher.ts and
 * EngineProcess, or spoken to directly over its pipes): it obeys pause / resume / stop, ends when its
 * host goes, takes a corpus in chunks, and every fault is one sentence — no python, no torch, torch
 * too old, a device that is absent, a bad job (the built-in engine's own words), a Python traceback
 * (its last lines), a malformed or cut-off protocol line either way, divergence, kill -9.
 * Fails, never skips, when /usr/bin/python3 has no PyTorch.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMessages } from '../../engine/data/corpus-chunks.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import type { EngineMessage } from '../../engine/protocol.ts';
import { PYTORCH_ENGINE_SCRIPT, pytorchEngineLauncher } from '../../main/runs/pytorch-launcher.ts';
import { FrameReader, encodeFrame } from '../../main/runs/stdio-frames.ts';
import { PYTHON, runPython } from '../engine/python.ts';
import { REPO, SEED_TEXT, expectSameCurve, requireTorch, runBuiltin, runPytorch, smallHyper, utf8 } from '../engine/pytorch-runs.ts';

let dir = '';
beforeAll(() => {
  requireTorch();
  dir = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-pytorch-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An executable in the temp folder. */
function executable(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

const longJob = () => ({ hyper: smallHyper({ steps: 1_000_000, checkpointEvery: 5, valFraction: 0 }), corpusBytes: utf8(SEED_TEXT) });
const once = <T>(subscribe: (listener: (value: T) => void) => unknown) => new Promise<T>((resolve) => subscribe(resolve));

describe('the PyTorch engine process', () => {
  it('pauses, resumes and stops when asked, with a final checkpoint', async () => {
    const run = await runPytorch(longJob(), {
      during: (engine) => {
        void (async () => {
          await once(engine.onProgress);
          engine.pause();
          const paused = await once(engine.onPaused);
          engine.resume();
          const resumed = await once(engine.onResumed);
          expect(resumed.step).toBe(paused.step);
          await once(engine.onProgress);
          engine.stop();
        })();
      },
    });
    expect(run.exit.reason, run.exit.message).toBe('stopped');
    expect(run.done?.status).toBe('stopped');
    const final = run.checkpoints.at(-1)!;
    expect(final.kind).toBe('final');
    expect(decodeCheckpoint(final.bytes).step).toBe(run.done!.step);
  }, 60_000);

  it('kill -9: the host sees the exit, and the last checkpoint loads', async () => {
    const run = await runPytorch(longJob(), {
      during: (engine) => void once(engine.onCheckpoint).then(() => process.kill(engine.pid!, 'SIGKILL')),
    });
    expect(run.exit).toMatchObject({ reason: 'crashed', signal: 'SIGKILL' });
    expect(run.exit.message).toMatch(/killed by signal SIGKILL/);
    expect(decodeCheckpoint(run.checkpoints[0].bytes).step).toBe(5);
  }, 60_000);

  it('ends by itself when its host goes (end of its input)', async () => {
    const engine = spawnEngine();
    engine.send({ type: 'start', ...longJob() });
    await engine.waitFor('progress');
    engine.child.stdin!.end();
    expect(await engine.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('ends by itself when its parent dies, though its input is still open', async () => {
    // A shell in between, the engine reading a FIFO we keep open and writing to a file: after the shell
    // is killed, no pipe tells the engine anything, only its new parent pid.
    const fifo = path.join(dir, 'engine-input');
    const output = path.join(dir, 'engine-output');
    execFileSync('mkfifo', [fifo]);
    const shell = spawn('/bin/sh', ['-c', `${PYTHON} ${PYTORCH_ENGINE_SCRIPT} < ${fifo} > ${output} 2>/dev/null; true`], { stdio: 'ignore' });
    const input = openSync(fifo, 'w');
    try {
      for (const part of encodeFrame({ type: 'start', ...longJob() })) writeSync(input, part);
      let pid: number | null = null;
      const deadline = Date.now() + 30_000;
      while (pid === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        new FrameReader((m) => ((m as EngineMessage).type === 'ready' ? (pid = (m as { pid: number }).pid) : null), () => {}).push(readFileSync(output));
      }
      expect(pid, 'no ready message').not.toBeNull();
      shell.kill('SIGKILL');
      while (isAlive(pid!) && Date.now() < deadline + 20_000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(isAlive(pid!), `the engine (pid ${pid}) outlived its parent`).toBe(false);
    } finally {
      closeSync(input);
    }
  }, 60_000);

  it('takes a corpus in chunks that split characters, and trains as on the whole text', async () => {
    const text = readFileSync(path.resolve(REPO, '../shared/corpora/tang300.txt'), 'utf8').slice(0, 1200);
    const hyper = smallHyper({ steps: 10, valFraction: 0.1 });
    const builtin = await runBuiltin({ hyper, corpusBytes: utf8(text) });
    const channel = pytorchEngineLauncher({ python: PYTHON })();
    const progress: Extract<EngineMessage, { type: 'progress' }>[] = [];
    channel.onMessage((m) => m.type === 'progress' && progress.push(m));
    const exited = once(channel.onExit);
    const messages = startMessages({ type: 'start', hyper, corpusBytes: utf8(text) }, 1001); // 1001: chunks end inside characters
    expect(messages.filter((m) => m.type === 'corpus-chunk').length).toBeGreaterThan(2);
    for (const m of messages) channel.post(m);
    expect((await exited).code).toBe(0);
    expectSameCurve(builtin.progress, progress);
  }, 60_000);
});

describe('faults are sentences', () => {
  it('no python there', async () => {
    const run = await runPytorch(longJob(), { python: path.join(dir, 'no-such-python3') });
    expect(run.exit.reason).toBe('crashed');
    expect(run.exit.message).toBe(`Could not start the PyTorch engine: there is no ${path.join(dir, 'no-such-python3')} on this computer. Install Python 3.10 or newer with PyTorch, or choose which python to use.`);
  });

  it('a python without PyTorch', async () => {
    // -S leaves out site-packages, where Debian's torch lives.
    const python = executable('python-no-torch', `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    const run = await runPytorch(longJob(), { python });
    expect(run.exit.reason).toBe('error');
    expect(run.exit.message).toMatch(/^PyTorch is not installed for \S+ \(Python 3\.\d+\.\d+\): install it with `\S+ -m pip install torch` \(Debian\/Ubuntu: `sudo apt-get install python3-torch`\), or choose a python that has it\.$/);
  }, 30_000);

  it('a PyTorch that is too old', async () => {
    const fake = path.join(dir, 'old-torch');
    mkdirSync(path.join(fake, 'torch'), { recursive: true });
    writeFileSync(path.join(fake, 'torch', '__init__.py'), '__version__ = "1.10.2+cpu"\n');
    const python = executable('python-old-torch', `#!/bin/sh\nPYTHONPATH=${fake} exec ${PYTHON} "$@"\n`);
    const run = await runPytorch(longJob(), { python });
    expect(run.exit.reason).toBe('error');
    expect(run.exit.message).toMatch(/^PyTorch 1\.10\.2\+cpu on \S+ \(Python [\d.]+\) is too old; the PyTorch engine needs 1\.13 or newer: upgrade it with `\S+ -m pip install -U torch`\.$/);
  }, 30_000);

  it('a GPU asked for that is not there (and CUDA used where it is)', async () => {
    const offered = JSON.parse(spawnSync(PYTHON, [PYTORCH_ENGINE_SCRIPT, '--describe'], { encoding: 'utf8' }).stdout) as { cuda: unknown[]; mps: boolean; torch: string };
    const cuda = await runPytorch({ ...longJob(), hyper: smallHyper({ steps: 3 }), device: 'cuda' });
    if (offered.cuda.length > 0) {
      expect(cuda.ready?.device).toMatch(/^cuda:0 \(/);
    } else {
      expect(cuda.exit.reason).toBe('error');
      expect(cuda.exit.message).toMatch(new RegExp(`^CUDA was asked for, but PyTorch ${offered.torch.replace(/[.+]/g, '\\$&')} on \\S+ (was built without CUDA \\(a CPU-only build\\)|was built for CUDA [\\d.]+ but finds no usable GPU .*): train on device cpu or auto, or install a CUDA build of PyTorch\\.$`));
    }
    const mps = await runPytorch({ ...longJob(), hyper: smallHyper({ steps: 3 }), device: 'mps' });
    if (offered.mps) expect(mps.ready?.device).toBe('mps');
    else expect(mps.exit.message).toMatch(/^MPS was asked for, but PyTorch's Apple-GPU backend (runs on macOS only|finds no usable Apple GPU .*): train on device cpu or auto\.$/);
  }, 60_000);

  it('a bad job, in the built-in engine\'s words', async () => {
    // Caught by the launcher (the built-in's validateJob), and by the trainer itself (the vocabulary's rules).
    for (const job of [
      { hyper: smallHyper({ window: 500 }), corpusBytes: utf8(SEED_TEXT) },
      { hyper: smallHyper(), corpusBytes: utf8(SEED_TEXT), vocab: ['a', 'bc'] },
    ]) {
      const builtin = await runBuiltin({ ...job, corpusBytes: utf8(SEED_TEXT) });
      const run = await runPytorch(job);
      expect(run.exit.reason).toBe('error');
      expect(run.exit.message).toBe(builtin.error!.message);
    }
  }, 30_000);

  it('divergence stops the run with the guard\'s sentence', async () => {
    const job = { hyper: smallHyper({ optimizer: 'adam', lr: 10, steps: 200 }), corpusBytes: utf8(SEED_TEXT) };
    const builtin = await runBuiltin({ ...job, corpusBytes: utf8(SEED_TEXT) });
    const run = await runPytorch(job);
    expect(run.exit.reason).toBe('error');
    expect(run.exit.message).toMatch(/^Training diverged at step 2: the training loss, averaged over recent steps, reached [\d.]+, more than 3 × ln 28 = 10\.0 \(three times an untrained model's\)\. Try to lower the learning rate \(now 10\) or enable gradient clipping \(e\.g\. clip 5\)\.$/);
    expect(run.exit.message).toBe(builtin.error!.message);
  }, 30_000);

  it('a Python traceback: its last lines are in the error', async () => {
    // An exception the trainer did not expect (a job no host would send): type, message and where.
    const engine = spawnEngine();
    engine.send({ type: 'start', hyper: { ...smallHyper(), window: 'eight' }, corpusBytes: utf8(SEED_TEXT) });
    const error = await engine.waitFor('error');
    expect(error.message).toMatch(/^Internal error in the PyTorch engine: TypeError: .+ \(at \w+\.py:\d+ in \w+\)\.$/);
    expect((await engine.exited).code).toBe(1);
    // A crash outside the trainer: the traceback's last line reaches the run's error.
    const script = path.join(dir, 'crashes.py');
    writeFileSync(script, 'def load():\n    raise RuntimeError("the engine module is broken")\nload()\n');
    const run = await runPytorch(longJob(), { script });
    expect(run.exit.reason).toBe('crashed');
    expect(run.exit.message).toMatch(/exited with code 1 .*Its last words: RuntimeError: the engine module is broken$/);
  }, 30_000);

  it('a malformed or cut-off line from the engine ends it with a sentence', async () => {
    const babble = path.join(dir, 'babble.py');
    writeFileSync(babble, 'import sys, time\nsys.stdout.write("Loading model...\\n"); sys.stdout.flush(); time.sleep(30)\n');
    const run = await runPytorch(longJob(), { script: babble });
    expect(run.exit.reason).toBe('error');
    expect(run.exit.message).toMatch(/^The PyTorch engine wrote a line that is not a protocol message \(.+\): "Loading model\.\.\."\.$/);

    const cut = path.join(dir, 'cut.py');
    writeFileSync(cut, 'import sys\nsys.stdout.buffer.write(b\'{"type":"checkpoint","step":1,"bytes":{"$blob":100}}\\n\' + bytes(10)); sys.stdout.flush()\n');
    const cutRun = await runPytorch(longJob(), { script: cut });
    expect(cutRun.exit.reason).toBe('error');
    expect(cutRun.exit.message).toBe('The PyTorch engine\'s output ended inside a "checkpoint" message\'s binary data: it stopped while writing.');
  }, 30_000);

  it('a malformed or cut-off line from the host gets a sentence back', async () => {
    const engine = spawnEngine();
    engine.child.stdin!.write('this is not json\n');
    const error = await engine.waitFor('error');
    expect(error.message).toMatch(/^The PyTorch engine could not read its host's message: A message line is not JSON \(.+\): 'this is not json'\.$/);
    expect((await engine.exited).code).toBe(1);

    const cut = spawnEngine();
    cut.child.stdin!.end('{"type":"start","corpusBytes":{"$blob":50}}\nonly this');
    expect((await cut.waitFor('error')).message).toBe("The PyTorch engine could not read its host's message: The input ended inside a start message: a binary field of 50 bytes had 9.");
  }, 30_000);

  it('out of GPU memory says so and suggests a smaller batch', () => {
    const said = runPython(
      `import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(PYTORCH_ENGINE_SCRIPT))})\nfrom faults import describe_exception\nprint(describe_exception(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), 128))`,
    );
    expect(said.trim()).toBe('The GPU ran out of memory: use a smaller batch (now 128), a shorter window or a smaller model.');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The engine spoken to directly over its pipes, frames both ways. */
function spawnEngine() {
  const child: ChildProcess = spawn(PYTHON, [PYTORCH_ENGINE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const messages: EngineMessage[] = [];
  const waiters: (() => void)[] = [];
  let problem = '';
  const reader = new FrameReader((m) => {
    messages.push(m as EngineMessage);
    for (const w of waiters.splice(0)) w();
  }, (p) => (problem = p));
  child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk));
  child.stderr!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let closed = false;
  void exited.then(() => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    exited,
    send(message: unknown) {
      for (const part of encodeFrame(message)) child.stdin!.write(part);
    },
    async waitFor<T extends EngineMessage['type']>(type: T): Promise<Extract<EngineMessage, { type: T }>> {
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) return found as Extract<EngineMessage, { type: T }>;
        if (closed || problem) throw new Error(`No "${type}" message; got ${messages.map((m) => m.type).join(', ')}. ${problem}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}
