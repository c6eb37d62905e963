/**
 * EngineProcess — one object owns one engine process for one training job (the VS Code
 * utilityProcess pattern): start it, talk to it with `send`/`stop`/`pause`/`resume`, listen through
 * typed events, and learn how it ended from a closed set of exit reasons. How the process is launched
 * (Node child or Electron utilityProcess) is the launcher's business, see launcher.ts.
 */
import type { EngineMessage, HostMessage, StartMessage } from '../../engine/protocol.ts';
import { startMessages } from '../../engine/data/corpus-chunks.ts';
import { Emitter } from './emitter.ts';
import { nodeEngineLauncher, type ChannelExit, type EngineChannel, type EngineLauncher } from './launcher.ts';

export type ReadyMessage = Extract<EngineMessage, { type: 'ready' }>;
export type ProgressMessage = Extract<EngineMessage, { type: 'progress' }>;
export type CheckpointMessage = Extract<EngineMessage, { type: 'checkpoint' }>;
export type PausedMessage = Extract<EngineMessage, { type: 'paused' }>;
export type ResumedMessage = Extract<EngineMessage, { type: 'resumed' }>;
export type DoneMessage = Extract<EngineMessage, { type: 'done' }>;
export type ErrorMessage = Extract<EngineMessage, { type: 'error' }>;

/**
 * How an engine process ended:
 * - `done`: it trained to the end (or stopped early on the validation loss) and said so;
 * - `stopped`: it was asked to stop and said it did (a final checkpoint was sent);
 * - `error`: it reported an error it understood (bad job, divergence, corrupt checkpoint);
 * - `killed`: the host ended it (kill, or a grace period ran out before it said anything final);
 * - `crashed`: it ended without a word (out of memory, a signal from outside, a bug).
 */
export type ExitReason = 'done' | 'stopped' | 'crashed' | 'killed' | 'error';

export interface EngineExit {
  reason: ExitReason;
  code: number | null;
  signal: string | null;
  /** The last step the engine reported, if any. */
  step: number | null;
  /** A sentence for a person: what happened. */
  message: string;
  /**
   * For a `done` exit, what ended the training, taken from the done message's status (never from the
   * sentence): it ran all its steps, or early stopping ended it. Null for every other exit.
   */
  endedBy: EndedBy | null;
}

export type EndedBy = 'steps' | 'early-stop';

/** After its final word, a worker gets this long to exit by itself before it is killed. */
const LINGER_MS = 5000;

export class EngineProcess {
  private readonly readyEmitter = new Emitter<ReadyMessage>();
  private readonly progressEmitter = new Emitter<ProgressMessage>();
  private readonly checkpointEmitter = new Emitter<CheckpointMessage>();
  private readonly pausedEmitter = new Emitter<PausedMessage>();
  private readonly resumedEmitter = new Emitter<ResumedMessage>();
  private readonly doneEmitter = new Emitter<DoneMessage>();
  private readonly errorEmitter = new Emitter<ErrorMessage>();
  private readonly exitEmitter = new Emitter<EngineExit>();

  readonly onReady = this.readyEmitter.subscribe;
  readonly onProgress = this.progressEmitter.subscribe;
  readonly onCheckpoint = this.checkpointEmitter.subscribe;
  readonly onPaused = this.pausedEmitter.subscribe;
  readonly onResumed = this.resumedEmitter.subscribe;
  readonly onDone = this.doneEmitter.subscribe;
  readonly onError = this.errorEmitter.subscribe;
  readonly onExit = this.exitEmitter.subscribe;

  private channel: EngineChannel | null = null;
  private final: DoneMessage | ErrorMessage | null = null;
  private killedByHost = false;
  private lastStep: number | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private exitInfo: EngineExit | null = null;
  private resolveExit!: (exit: EngineExit) => void;
  /** Resolves once the process has ended, with how it ended. */
  readonly exited: Promise<EngineExit> = new Promise((resolve) => (this.resolveExit = resolve));

  constructor(private readonly launcher: EngineLauncher = nodeEngineLauncher()) {}

  /** Launches the process and hands it the job (a big corpus in chunks ahead of it, see corpus-chunks.ts). */
  start(job: StartMessage): void {
    if (this.channel) throw new Error('This engine process has already been started.');
    const channel = this.launcher();
    this.channel = channel;
    channel.onMessage((message) => this.handle(message));
    channel.onExit((exit) => this.handleExit(exit));
    // Not stopping at a false `post`: a Node channel says false also when it merely has a backlog.
    for (const message of startMessages(job)) channel.post(message);
  }

  get pid(): number | undefined {
    return this.channel?.pid;
  }

  get running(): boolean {
    return this.channel !== null && this.exitInfo === null;
  }

  /** How it ended, once it has. */
  get exit(): EngineExit | null {
    return this.exitInfo;
  }

  send(message: HostMessage): boolean {
    if (!this.channel || this.exitInfo) return false;
    return this.channel.post(message);
  }

  /** Asks the engine to stop after the current step; it sends a final checkpoint, then `done` with status 'stopped'. */
  stop(): boolean {
    return this.send({ type: 'stop' });
  }

  pause(): boolean {
    return this.send({ type: 'pause' });
  }

  resume(): boolean {
    return this.send({ type: 'resume' });
  }

  /** Ends the process now. Its exit reason is `killed` unless it had already said its final word. */
  kill(): void {
    if (!this.channel || this.exitInfo) return;
    this.killedByHost = true;
    this.channel.kill();
  }

  /** Waits for the process to end; when `ms` pass first, kills it and waits for that. */
  async waitForExit(ms: number): Promise<EngineExit> {
    if (!this.channel) throw new Error('This engine process was never started.');
    if (this.exitInfo) return this.exitInfo;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return outcome;
    this.kill();
    return this.exited;
  }

  private handle(message: EngineMessage): void {
    if ('step' in message && typeof message.step === 'number') this.lastStep = message.step;
    switch (message.type) {
      case 'ready':
        this.readyEmitter.fire(message);
        break;
      case 'progress':
        this.progressEmitter.fire(message);
        break;
      case 'checkpoint':
        this.checkpointEmitter.fire(message);
        break;
      case 'paused':
        this.pausedEmitter.fire(message);
        break;
      case 'resumed':
        this.resumedEmitter.fire(message);
        break;
      case 'heartbeat':
        break;
      case 'done':
        this.final ??= message;
        this.doneEmitter.fire(message);
        this.lingerThenKill();
        break;
      case 'error':
        this.final ??= message;
        this.errorEmitter.fire(message);
        this.lingerThenKill();
        break;
    }
  }

  /** A worker that has said its final word should exit by itself; one that lingers is ended. */
  private lingerThenKill(): void {
    if (this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.channel?.kill(), LINGER_MS);
    this.lingerTimer.unref();
  }

  private handleExit(exit: ChannelExit): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    const info = describeExit(exit, this.final, this.killedByHost, this.lastStep);
    this.exitInfo = info;
    this.exitEmitter.fire(info);
    this.resolveExit(info);
  }
}

function describeExit(exit: ChannelExit, final: DoneMessage | ErrorMessage | null, killedByHost: boolean, step: number | null): EngineExit {
  const base = { code: exit.code, signal: exit.signal, step, endedBy: null };
  if (final?.type === 'done') {
    if (final.status === 'stopped') return { ...base, reason: 'stopped', step: final.step, message: `Stopped at step ${final.step}.` };
    const endedBy: EndedBy = final.status === 'early-stopped' ? 'early-stop' : 'steps';
    const early = endedBy === 'early-stop' ? ' (early stop: the validation loss stopped improving)' : '';
    return { ...base, reason: 'done', step: final.step, endedBy, message: `Finished at step ${final.step}${early}.` };
  }
  if (final?.type === 'error') return { ...base, reason: 'error', step: final.step ?? step, message: final.message };
  const at = step === null ? '' : ` at step ${step}`;
  if (killedByHost) return { ...base, reason: 'killed', message: `The engine process was ended by the workbench${at}.` };
  const how = exit.failure && exit.code === null && exit.signal === null
    ? exit.failure
    : exit.signal
      ? `The engine process was killed by signal ${exit.signal}${at}.`
      : `The engine process exited with code ${exit.code}${at} without finishing.`;
  const detail = exit.stderrTail ? lastMeaningfulLine(exit.stderrTail) : null;
  return { ...base, reason: 'crashed', message: detail ? `${how} Its last words: ${detail}` : how };
}

/** The line of a stderr tail most likely to say what went wrong (an Error line, else the last line). */
function lastMeaningfulLine(tail: string): string | null {
  const lines = tail.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length === 0) return null;
  const errorLine = [...lines].reverse().find((line) => /error|exception|fatal|out of memory/i.test(line) && !line.startsWith('at '));
  return (errorLine ?? lines[lines.length - 1]).slice(0, 300);
}
