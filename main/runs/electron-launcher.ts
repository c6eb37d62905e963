/**
 * The Electron launcher: the engine runs in an Electron utilityProcess (a Node process Electron
 * manages, talking through `process.parentPort`). Only the Electron main process imports this file,
 * and it passes Electron's `utilityProcess` in, so nothing here loads 'electron' and plain Node
 * (tests, `serve`, the CLI) never needs it.
 */
import type { EngineMessage, HostMessage } from '../../engine/protocol.ts';
import { ExitNotice, tailStderr, type EngineChannel, type EngineLauncher } from './launcher.ts';

/** The part of Electron's UtilityProcess we use (structural, so no import of 'electron' is needed). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'error', listener: (...args: unknown[]) => void): unknown;
  readonly stderr: NodeJS.ReadableStream | null;
}

export interface UtilityProcessModuleLike {
  fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'pipe' | 'ignore' | 'inherit' | ('pipe' | 'ignore' | 'inherit')[] }): UtilityProcessLike;
}

/** `workerPath` is the built JavaScript worker (e.g. dist/engine/worker.js). */
export function electronEngineLauncher(utilityProcess: UtilityProcessModuleLike, workerPath: string): EngineLauncher {
  return (): EngineChannel => {
    const child = utilityProcess.fork(workerPath, [], { serviceName: 'Recurrent Workbench engine', stdio: ['ignore', 'inherit', 'pipe'] });
    const stderr = tailStderr(child.stderr);
    let alive = true;
    // Messages posted before the process has spawned wait here (the start message is posted at once).
    let spawned = false;
    const pending: HostMessage[] = [];
    child.on('spawn', () => {
      spawned = true;
      for (const message of pending.splice(0)) child.postMessage(ownBuffer(message));
    });
    let failure: string | undefined;
    const exit = new ExitNotice();
    child.on('error', (...args: unknown[]) => {
      failure ??= `The engine process reported a fatal error (${args.map(String).join(', ')}).`;
    });
    child.on('exit', (code) => {
      alive = false;
      exit.fire({ code, signal: null, failure, stderrTail: stderr.lastLines() });
    });
    return {
      get pid() {
        return child.pid;
      },
      post(message) {
        if (!alive) return false;
        if (spawned) child.postMessage(ownBuffer(message));
        else pending.push(message);
        return true;
      },
      onMessage(listener) {
        child.on('message', (message) => listener(message as EngineMessage));
      },
      onExit(listener) {
        exit.listen(listener);
      },
      kill() {
        if (alive) child.kill();
      },
    };
  };
}

/**
 * A corpus chunk whose bytes are a view into a bigger buffer, given its own buffer: a structured clone
 * sends a view's whole underlying buffer, which for the chunks of a 200 MB corpus would be 200 MB each.
 */
function ownBuffer(message: HostMessage): HostMessage {
  if (message.type !== 'corpus-chunk' || message.bytes.byteLength === message.bytes.buffer.byteLength) return message;
  return { ...message, bytes: message.bytes.slice() };
}
