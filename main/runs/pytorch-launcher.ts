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
/** torchrun with Debian's torch 1.13 repaired (engine/pytorch/launch.py). */
export const PYTORCH_LAUNCH_SCRIPT = path.join(REPO_ROOT, 'engine', 'pytorch', 'launch.py');

export interface PytorchLauncherOptions {
  /** The python to run (default: $RNNWB_PYTHON, else `python3` on the PATH). */
  python?: string;
  /** The engine's entry script (tests point it elsewhere). */
  script?: string;
  forwardStderr?: boolean;
  /** Processes per node; above 1 (or with several nodes) the engine runs under torchrun with DDP. */
  processes?: number;
  /** Nodes in all; this launch is node 0 and the others are started with the lines of distributedCommand. */
  nodes?: number;
  /** HOST:PORT where node 0 waits for the other nodes (needed with nodes > 1). */
  rdzv?: string;
  /** A command the engine's launch is put behind and spoken through over stdio: `ssh gpu-box`, `srun -N2`, `docker exec box`. */
  via?: string;
  /** Seconds node 0 waits for every process to join (default 600). */
  rendezvousTimeoutS?: number;
}

export function defaultPython(): string {
  return process.env.RNNWB_PYTHON || 'python3';
}

export function pytorchEngineLauncher(options: PytorchLauncherOptions = {}): EngineLauncher {
  const python = options.python ?? defaultPython();
  const script = options.script ?? PYTORCH_ENGINE_SCRIPT;
  const [command, ...args] = engineCommand(python, script, options);
  return (): EngineChannel => {
    const child = spawn(command, args, {
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
          try {
            outgoing = withInitialWeights(message, chunks);
          } catch (error) {
            refuse(errorMessage(error));
            return true;
          }
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

/** The command line that runs the engine: plain, under our torchrun (node 0), behind a `via` prefix. */
export function engineCommand(python: string, script: string, options: Pick<PytorchLauncherOptions, 'processes' | 'nodes' | 'rdzv' | 'via' | 'rendezvousTimeoutS'>): string[] {
  const processes = options.processes ?? 1;
  const nodes = options.nodes ?? 1;
  const timeout = options.rendezvousTimeoutS === undefined ? [] : [`--rdzv-timeout=${options.rendezvousTimeoutS}`];
  const engine = processes > 1 || nodes > 1 ? [python, ...torchrunArgs(processes, nodes, options.rdzv, 0), script, ...timeout] : [python, script];
  if (!options.via) return engine;
  const prefix = splitWords(options.via);
  // ssh hands the remote shell one string: quote what a shell would split.
  return prefix[0] === 'ssh' || prefix[0]?.endsWith('/ssh') ? [...prefix, ...engine.map(shellQuote)] : [...prefix, ...engine];
}

/**
 * launch.py's arguments (torchrun's) for node `nodeRank` of a run. Several nodes meet at `rdzv` with the
 * static rendezvous: node 0 holds the store, so rank 0 (the one that talks to the host) is on the node
 * the host started. One node meets itself (`--standalone`).
 */
export function torchrunArgs(processes: number, nodes: number, rdzv: string | undefined, nodeRank: number): string[] {
  const where = nodes > 1 ? ['--rdzv_backend=static', `--rdzv_endpoint=${rdzv ?? ''}`, `--node_rank=${nodeRank}`] : ['--standalone'];
  return [PYTORCH_LAUNCH_SCRIPT, `--nnodes=${nodes}`, `--nproc_per_node=${processes}`, '--max_restarts=0', ...where];
}

/** Words of a command line as a POSIX shell splits them (quotes and backslashes; no expansions). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) throw new Error(`The prefix ${JSON.stringify(line)} has an unclosed ${quote}.`);
  if (word !== null) words.push(word);
  return words;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
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
    if (job.vocab !== undefined) Vocabulary.fromChars(job.vocab); // the built-in trainer's first check of a given vocabulary
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
