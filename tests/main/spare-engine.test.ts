/**
 * spareEngineLauncher against the real engine worker in real child processes: the engine it starts at
 * once is the one the first launch gets (and trains the job), later launches start their own, a spare
 * that died is replaced, and one nobody took ends with dispose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import type { StartMessage } from '../../engine/protocol.ts';
import { EngineProcess } from '../../main/runs/engine-process.ts';
import { spareEngineLauncher, type ChannelExit, type EngineChannel, type SpareEngineLauncher } from '../../main/runs/launcher.ts';
import { seedCorpusText } from './run-helpers.ts';

const job: StartMessage = { type: 'start', hyper: { ...PRESETS.reference.hyper, hidden: 8, embed: 4, steps: 20, threads: 2 }, corpusText: seedCorpusText };

const launchers: SpareEngineLauncher[] = [];
const channels: EngineChannel[] = [];
afterEach(() => {
  for (const launcher of launchers.splice(0)) launcher.dispose();
  for (const channel of channels.splice(0)) channel.kill();
});

function spare(threads = 2): SpareEngineLauncher {
  const launcher = spareEngineLauncher(threads);
  launchers.push(launcher);
  return launcher;
}

const ended = (channel: EngineChannel) => new Promise<ChannelExit>((resolve) => channel.onExit(resolve));

describe('spareEngineLauncher', () => {
  it('hands its already started engine to the first launch, which trains the job on it', async () => {
    const launcher = spare();
    const waiting = launcher.waiting!;
    expect(waiting.pid).toBeGreaterThan(0);
    const first = launcher();
    channels.push(first);
    expect(first).toBe(waiting);
    expect(launcher.waiting).toBeNull();
    const engine = new EngineProcess(() => first);
    let readyPid = 0;
    engine.onReady((m) => (readyPid = m.pid));
    engine.start(job);
    const exit = await engine.waitForExit(60_000);
    expect(exit).toMatchObject({ reason: 'done', step: 20, code: 0 });
    expect(readyPid).toBe(waiting.pid);
  });

  it('starts a process of its own for every later launch', () => {
    const launcher = spare();
    const first = launcher();
    const second = launcher();
    channels.push(first, second);
    expect(second.pid).toBeGreaterThan(0);
    expect(second.pid).not.toBe(first.pid);
  });

  it('replaces a spare that ended before anyone took it', async () => {
    const launcher = spare();
    const waiting = launcher.waiting!;
    const gone = ended(waiting);
    waiting.kill();
    await gone;
    const next = launcher();
    channels.push(next);
    expect(next.pid).toBeGreaterThan(0);
    expect(next.pid).not.toBe(waiting.pid);
    const engine = new EngineProcess(() => next);
    engine.start(job);
    expect(await engine.waitForExit(60_000)).toMatchObject({ reason: 'done', step: 20 });
  });

  it('ends a spare nobody took when disposed', async () => {
    const launcher = spare(1);
    const waiting = launcher.waiting!;
    const gone = ended(waiting);
    launcher.dispose();
    expect(launcher.waiting).toBeNull();
    expect(await gone).toMatchObject({ signal: 'SIGKILL' });
  });
});
