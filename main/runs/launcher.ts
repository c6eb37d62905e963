/**
 * How an engine process is started, behind one small interface so the same EngineProcess works in a
 * Node host (`serve`, the CLI, tests: a forked child running the bundled dist/engine/worker.js, or
 * engine/worker.ts through tsx when the host itself runs from sources) and in the app's backend
 * process (main/backend/entry.ts: the same fork, run by Electron's binary as Node; a utility process
 * cannot start utility processes of its own).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WARM_THREADS_FLAG, engineMessagesOf, type EngineMessage, type EngineSend, type HostMessage } from '../../engine/protocol.ts';

/** A started engine process, as the host sees it. */
export interface EngineChannel {
  /** The OS process id (undefined when the launch failed). */
  readonly pid: number | undefined;
  /** Posts a message; returns false when the process can no longer receive. */
  post(message: HostMessage): boolean;
  onMessage(listener: (message: EngineMessage) => void): void;
  /** Fires exactly once, when the process has ended (or could not start: code null, `failure` set). */
  onExit(listener: (exit: ChannelExit) => void): void;
  /** Ends the process at once (SIGKILL where there are signals). */
  kill(): void;
}

export interface ChannelExit {
  code: number | null;
  signal: string | null;
  /** Why the process could not be started or talked to, when that is what ended it. */
  failure?: string;
  /** The last lines the process wrote to stderr (a crash usually explains itself there). */
  stderrTail?: string;
}

export type EngineLauncher = () => EngineChannel;

/** The repository (or package) root: this file is main/runs/launcher.ts, or is inside a bundle dist/<name>/<file>.js. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKER_SOURCE = path.join(REPO_ROOT, 'engine', 'worker.ts');
/** Whether this host runs from a bundle (bin/bundle.js) rather than from the TypeScript sources. */
const FROM_BUNDLE = !fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * The script of an engine process (engine/<name>.ts): a bundled host starts the bundle built beside it
 * (dist/engine/<name>.js, plain Node), a host running from sources the TypeScript file (through tsx).
 */
export function engineEntry(name: 'worker' | 'inspect-worker'): string {
  return FROM_BUNDLE ? path.join(REPO_ROOT, 'dist', 'engine', `${name}.js`) : path.join(REPO_ROOT, 'engine', `${name}.ts`);
}

/** Node's options for running `script`: TypeScript needs tsx's loader (by absolute URL: a bare `--import tsx` would resolve against the caller's cwd). */
function execArgvFor(script: string): string[] {
  return script.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}

/** Keeps the end of a stream of text, for error messages. */
export class TextTail {
  private text = '';
  constructor(private readonly limit = 4000) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }
  lastLines(count = 6): string {
    return this.text.trimEnd().split('\n').slice(-count).join('\n');
  }
}

/** Keeps the tail of a child's stderr, passing each chunk on to `forward` when one is given. */
export function tailStderr(stream: NodeJS.ReadableStream | null, forward?: (chunk: string) => void): TextTail {
  const tail = new TextTail();
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string | Buffer) => {
    tail.push(String(chunk));
    forward?.(String(chunk));
  });
  return tail;
}

/** A channel's exit, delivered once to every listener, whether it subscribed before or after. */
export class ExitNotice {
  private exit: ChannelExit | null = null;
  private readonly listeners: ((exit: ChannelExit) => void)[] = [];

  /** Records the exit; later calls are ignored (the first reason is the true one). */
  fire(exit: ChannelExit): void {
    if (this.exit) return;
    this.exit = exit;
    for (const listener of this.listeners) listener(exit);
  }

  listen(listener: (exit: ChannelExit) => void): void {
    if (this.exit) listener(this.exit);
    else this.listeners.push(listener);
  }
}

/**
 * A Node child process running the engine worker (engineEntry). `serialization: 'advanced'` lets
 * checkpoint bytes cross as Uint8Array (structured clone) instead of a JSON array of numbers.
 */
export function nodeEngineLauncher(options: NodeLauncherOptions = {}): EngineLauncher {
  return () => forkEngine(options, []);
}

export interface NodeLauncherOptions {
  workerPath?: string;
  forwardStderr?: boolean;
}

/** A launcher whose first engine is already starting, and the means to end it when nobody took it. */
export interface SpareEngineLauncher extends EngineLauncher {
  /** The started engine no launch has taken yet (null once taken or disposed). */
  readonly waiting: EngineChannel | null;
  /** Ends the spare process if no launch took it (a command that stored nothing to train). */
  dispose(): void;
}

/**
 * Starts one engine process at once, before its job is known, with a hint of the threads the job will
 * ask for (engine/host.ts: the process starts its kernels meanwhile); the first launch takes it while it
 * lives, later launches fork as nodeEngineLauncher does. A one-shot command (`rnnwb train`) thus overlaps
 * the engine's start — Node, the bundle, the kernels' threads, ~0.15 s — with its own database work.
 */
export function spareEngineLauncher(threads: number, options: NodeLauncherOptions = {}): SpareEngineLauncher {
  let spare: EngineChannel | null = forkEngine(options, [`${WARM_THREADS_FLAG}${Math.max(1, Math.floor(threads))}`]);
  let spareEnded = false;
  spare.onExit(() => (spareEnded = true));
  const launch = () => {
    const taken = spare;
    spare = null;
    return taken !== null && !spareEnded ? taken : forkEngine(options, []);
  };
  return Object.defineProperties(launch, {
    waiting: { get: () => spare },
    dispose: {
      value: () => {
        spare?.kill();
        spare = null;
      },
    },
  }) as SpareEngineLauncher;
}

/** A Node child running the engine worker, with `args` on its command line. */
function forkEngine(options: NodeLauncherOptions, args: string[]): EngineChannel {
  const workerPath = options.workerPath ?? engineEntry('worker');
  const child = fork(workerPath, args, {
    execArgv: execArgvFor(workerPath),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const stderr = tailStderr(child.stderr, options.forwardStderr ? (chunk) => process.stderr.write(chunk) : undefined);
  let failure: string | undefined;
  const exit = new ExitNotice();
  // 'error' covers a fork that failed and a send on a closed channel; the exit that follows reports it.
  child.on('error', (error) => {
    failure ??= error.message;
    if (child.pid === undefined) exit.fire({ code: null, signal: null, failure: `Could not start the engine process: ${error.message}` });
  });
  // 'close' (not 'exit') so stderr has been read to its end.
  child.on('close', (code, signal) => exit.fire({ code, signal, failure, stderrTail: stderr.lastLines() }));
  return {
    pid: child.pid,
    post(message) {
      if (!child.connected) return false;
      try {
        return child.send(message, (error) => {
          if (error) failure ??= error.message;
        });
      } catch {
        return false;
      }
    },
    onMessage(listener) {
      child.on('message', (sent) => engineMessagesOf(sent as EngineSend).forEach(listener));
    },
    onExit(listener) {
      exit.listen(listener);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
