/**
 * The PyTorch engine behind the same EngineLauncher interface as launcher.ts: a Python child running
 * engine/pytorch/main.py, spoken to over stdin/stdout in the stdio framing (stdio-frames.ts,
 * docs/engine-protocol.md), so EngineProcess and the run manager use it unchanged.
 *
 * Two things happen here, on the host, before a start message leaves: it is checked with the
 * built-in engine's own rules (engine/train/validate.ts: the same sentences for the same mistakes),
 * and a fresh run gets `initialWeights`, the built-in engine's initialisation for its seed — so the
 * same job starts from the same numbers on both engines (the trainer reproduces the window order
 * itself). A line the engine writes that is not a message, or output cut off inside one, ends the
 * process and becomes its error.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { modelConfigOf, validateHyperparameters, type Hyperparameters } from '../../engine/config.ts';
import { initParams } from '../../engine/core/init.ts';
import { buildLayout } from '../../engine/core/params.ts';
import { Rng } from '../../engine/core/rng.ts';
import { encodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { ENGINE_DEVICES, type EngineMessage, type HostMessage, type StartMessage } from '../../engine/protocol.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { errorMessage, validateJob } from '../../engine/train/validate.ts';
import { ExitNotice, REPO_ROOT, tailStderr, type EngineChannel, type EngineLauncher } from './launcher.ts';
import { FrameReader, encodeFrame } from './stdio-frames.ts';

export const PYTORCH_ENGINE_SCRIPT = path.join(REPO_ROOT, 'engine', 'pytorch', 'main.py');

export interface PytorchLauncherOptions {
  /** The python to run (default: $RNNWB_PYTHON, else `python3` on the PATH). */
  python?: string;
  /** The engine's entry script (tests point it elsewhere). */
  script?: string;
  forwardStderr?: boolean;
}

export function defaultPython(): string {
  return process.env.RNNWB_PYTHON || 'python3';
}

export function pytorchEngineLauncher(options: PytorchLauncherOptions = {}): EngineLauncher {
  const python = options.python ?? defaultPython();
  const script = options.script ?? PYTORCH_ENGINE_SCRIPT;
  return (): EngineChannel => {
    const child = spawn(python, [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // No __pycache__ in the repository; stderr unbuffered so a crash's last words arrive.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    const stderr = tailStderr(child.stderr, options.forwardStderr ? (chunk) => process.stderr.write(chunk) : undefined);
    const exit = new ExitNotice();
    const listeners: ((message: EngineMessage) => void)[] = [];
    const deliver = (message: EngineMessage) => {
      for (const listener of listeners) listener(message);
    };
    let failure: string | undefined;
    let ended = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    /** A problem of our own making (a bad job, a babbling engine): said as the engine's error, then the process ends. */
    const refuse = (message: string) => {
      queueMicrotask(() => deliver({ type: 'error', message, step: null }));
      kill();
    };

    const reader = new FrameReader((message) => deliver(message as EngineMessage), refuse, 'The PyTorch engine');
    child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
    child.stdout.on('end', () => reader.end());
    child.stdin.on('error', (error) => (failure ??= error.message)); // EPIPE once the engine is gone: its exit says why
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error.message;
      if (child.pid === undefined) {
        const why = error.code === 'ENOENT' ? `there is no ${python} on this computer` : error.message;
        exit.fire({ code: null, signal: null, failure: `Could not start the PyTorch engine: ${why}. Install Python 3.10 or newer with PyTorch, or choose which python to use.` });
      }
    });
    child.on('close', (code, signal) => {
      ended = true;
      exit.fire({ code, signal, failure, stderrTail: stderr.lastLines() });
    });

    const chunks: Uint8Array[] = [];
    return {
      pid: child.pid,
      post(message: HostMessage) {
        if (ended || child.pid === undefined || child.stdin.destroyed) return false;
        let outgoing: HostMessage = message;
        if (message.type === 'corpus-chunk') chunks.push(message.bytes);
        if (message.type === 'start') {
          const problem = checkStart(message);
          if (problem) {
            refuse(problem);
            return true;
          }
          outgoing = withInitialWeights(message, chunks);
          chunks.length = 0;
        }
        for (const part of encodeFrame(outgoing)) child.stdin.write(part);
        return true;
      },
      onMessage(listener) {
        listeners.push(listener);
      },
      onExit(listener) {
        exit.listen(listener);
      },
      kill,
    };
  };
}

/** What is wrong with a start message, in the built-in engine's words; null when it can go. */
export function checkStart(job: StartMessage): string | null {
  if (job.device !== undefined && !ENGINE_DEVICES.includes(job.device)) {
    return `Device must be one of ${ENGINE_DEVICES.join(', ')} (got ${JSON.stringify(job.device)}).`;
  }
  try {
    if (job.corpusChunked === undefined) {
      validateJob(job);
    } else {
      // The corpus went ahead in chunks: the engine checks it against the window as it assembles it.
      const problems = Object.values(validateHyperparameters(job.hyper));
      if (problems.length > 0) return problems.join(' ');
    }
  } catch (error) {
    return errorMessage(error);
  }
  return null;
}

/** The job with the built-in engine's initial weights for its seed, unless it resumes or brings its own. */
export function withInitialWeights(job: StartMessage, chunks: readonly Uint8Array[] = []): StartMessage {
  if (job.resumeFrom !== undefined || job.initialWeights !== undefined) return job;
  const vocab = job.vocab ?? vocabularyOf(job, chunks);
  return { ...job, vocab, initialWeights: initialWeights(job.hyper, vocab) };
}

/** The weights Model.initParams(new Rng(seed)) gives this architecture, as a checkpoint (no optimizer state). */
export function initialWeights(hyper: Hyperparameters, vocab: string[]): Uint8Array {
  const config = modelConfigOf(hyper, vocab.length);
  const layout = buildLayout(config);
  const params = new Float32Array(layout.total);
  initParams(params, layout, config, new Rng(hyper.seed));
  return encodeCheckpoint({ config, vocab, params, step: 0 });
}

/** The corpus's vocabulary, as the engines build it (every code point, in code-point order). */
function vocabularyOf(job: StartMessage, chunks: readonly Uint8Array[]): string[] {
  if (job.corpusBytes) return Vocabulary.fromUtf8(job.corpusBytes).chars;
  if (job.corpusText !== undefined) return Vocabulary.fromText(job.corpusText).chars;
  // Chunks may split a character: decode them as one stream.
  const seen = new Set<number>();
  const decoder = new TextDecoder('utf-8');
  for (const [i, chunk] of chunks.entries()) {
    for (const ch of decoder.decode(chunk, { stream: i < chunks.length - 1 })) seen.add(ch.codePointAt(0)!);
  }
  return [...seen].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp));
}
