// The engine process for real: engine/worker.ts forked as a Node child (tsx, advanced serialization)
// running the reference job. Progress arrives, pause/resume/stop are honoured, the final checkpoint
// loads into a Model that predicts, bad start messages get a readable error, and a worker whose parent
// dies ends by itself, in a Node child and behind an Electron-style parentPort alike.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { predictNext } from '../../engine/infer/predict.ts';
import { Model } from '../../engine/model.ts';
import { engineMessagesOf, type EngineMessage, type EngineSend, type HostMessage } from '../../engine/protocol.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workerPath = path.resolve(repoRoot, 'engine/worker.ts');
const sentence = readFileSync(path.resolve(repoRoot, '../shared/corpora/seed-hello-rnn.txt'), 'utf8');

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startWorker() {
  const child = fork(workerPath, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  started.push(child);
  const messages: EngineMessage[] = [];
  const sends: EngineSend[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const waiters: { test: (m: EngineMessage) => boolean; resolve: (m: EngineMessage) => void }[] = [];
  child.on('message', (sent: EngineSend) => {
    sends.push(sent);
    for (const m of engineMessagesOf(sent)) {
      messages.push(m);
      for (const w of waiters.slice()) {
        if (w.test(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    messages,
    sends,
    stderr: () => stderr,
    exited,
    send: (m: HostMessage | Record<string, unknown>) => child.send(m),
    /** The first message (already received or still to come) after index `from` that passes `test`. */
    waitFor<T extends EngineMessage['type']>(type: T, from = 0, test: (m: Extract<EngineMessage, { type: T }>) => boolean = () => true, ms = 60_000) {
      const match = (m: EngineMessage) => m.type === type && test(m as Extract<EngineMessage, { type: T }>);
      const seen = messages.slice(from).find(match);
      if (seen) return Promise.resolve(seen as Extract<EngineMessage, { type: T }>);
      return new Promise<Extract<EngineMessage, { type: T }>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`No "${type}" message within ${ms} ms; got ${messages.map((x) => x.type).join(', ')}; stderr: ${stderr}`)), ms);
        waiters.push({ test: match, resolve: (m) => (clearTimeout(timer), resolve(m as Extract<EngineMessage, { type: T }>)) });
      });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    // an exited child not yet reaped by its new parent is a zombie: gone for our purposes
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

const corpusPath = (name: string) => path.resolve(repoRoot, '../shared/corpora', name);

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Electron is not installed here, so a preload (`--import` it) gives the worker the `process.parentPort`
 * Electron gives a utilityProcess, carried over the fork's IPC channel: { data } message events,
 * postMessage, messages queued until start(). Like Electron's (shell/services/node/parent_port.cc) it
 * never emits 'close', silently drops what is posted once the parent is gone, and keeps the process
 * alive, so the worker cannot learn of its parent's death from the port. Posts arrive wrapped as
 * { via: 'parentPort', message }.
 */
function writeParentPortPreload(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rw-parentport-'));
  tempDirs.push(dir);
  const preload = path.join(dir, 'parent-port.mjs');
  writeFileSync(preload, `
    const send = process.send.bind(process);
    const listeners = new Map();
    const queued = [];
    let started = false;
    const deliver = (data) => (listeners.get('message') ?? []).forEach((l) => l({ data, ports: [] }));
    process.on('message', (data) => (started ? deliver(data) : queued.push(data)));
    setInterval(() => {}, 1 << 30); // the real port is a live handle; the IPC channel stops being one when it closes
    process.parentPort = {
      on(event, listener) { listeners.set(event, [...(listeners.get(event) ?? []), listener]); return this; },
      postMessage(message) { if (process.connected) send({ via: 'parentPort', message }, () => {}); },
      start() { started = true; queued.splice(0).forEach(deliver); },
    };
  `);
  return preload;
}

/**
 * Starts `hyper` on (the first `chars` characters of) a corpus in a worker forked by an intermediate
 * Node process, kills that parent once the worker reports its first progress, and waits up to a
 * second for the worker to go (killing it if it did not). `preload`: see writeParentPortPreload.
 */
async function killParentOfTrainingWorker(hyper: typeof PRESETS.reference.hyper, corpusFile: string, options: { chars?: number; preload?: string } = {}) {
  // The intermediate reads the corpus itself: a large one would not fit in an environment variable.
  const script = `
    import { fork } from 'node:child_process';
    import { readFileSync } from 'node:fs';
    const text = readFileSync(process.env.CORPUS, 'utf8');
    const corpusText = process.env.CHARS ? text.slice(0, Number(process.env.CHARS)) : text;
    const execArgv = ['--import', 'tsx', ...(process.env.PRELOAD ? ['--import', process.env.PRELOAD] : [])];
    const child = fork(process.env.WORKER, [], { execArgv, serialization: 'advanced', cwd: process.env.ROOT });
    child.on('message', (raw) => {
      const sent = raw.via === 'parentPort' ? raw.message : raw;
      if ([sent].flat().some((m) => m.type === 'progress')) { console.log(JSON.stringify({ pid: child.pid })); child.removeAllListeners('message'); }
    });
    child.send({ type: 'start', hyper: JSON.parse(process.env.HYPER), corpusText });
    setInterval(() => {}, 1000);
  `;
  const middle = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WORKER: workerPath,
      ROOT: repoRoot,
      HYPER: JSON.stringify(hyper),
      CORPUS: corpusFile,
      CHARS: options.chars === undefined ? '' : String(options.chars),
      PRELOAD: options.preload ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(middle);
  const workerPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    middle.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).pid);
    });
    middle.on('exit', () => reject(new Error(`intermediate exited early: ${out}`)));
  });
  expect(isGone(workerPid)).toBe(false); // training
  middle.kill('SIGKILL');
  const t0 = Date.now();
  while (!isGone(workerPid) && Date.now() - t0 < 1000) await sleep(20);
  const gone = isGone(workerPid);
  const goneAfterMs = Date.now() - t0;
  if (!gone) process.kill(workerPid, 'SIGKILL');
  return { workerPid, gone, goneAfterMs };
}

describe('engine/worker.ts in a Node child process', () => {
  it('runs the reference job: ready, progress, pause/resume, heartbeat, stop → stopped + final checkpoint that predicts', async () => {
    const w = startWorker();
    w.send({ type: 'start', hyper: PRESETS.reference.hyper, corpusText: sentence });
    const ready = await w.waitFor('ready');
    expect(ready.pid).toBe(w.child.pid);
    expect(ready.totalSteps).toBe(500);
    expect(ready.trainWindows).toBe(92);
    expect(ready.vocabSize).toBe(28);
    expect(readFileSync(`/proc/${w.child.pid}/cmdline`, 'utf8').split('\0').join(' ')).toContain('engine/worker');

    const second = await w.waitFor('progress', 0, (m) => m.step >= 2);
    expect(second.totalSteps).toBe(500);
    expect(Number.isFinite(second.trainLoss)).toBe(true);

    // pause: acknowledged with the step it stopped at; no progress while paused
    let mark = w.messages.length;
    w.send({ type: 'pause' });
    const paused = await w.waitFor('paused', mark);
    mark = w.messages.length;
    // The heartbeat goes on while paused; messages arrive in order, so two heartbeats after the pause
    // bound everything the engine did meanwhile (waiting on events, not on a guessed time).
    const firstBeat = await w.waitFor('heartbeat', mark);
    const duringPause = w.messages.slice(mark, w.messages.indexOf(firstBeat)).filter((m) => m.type === 'progress');
    expect(duringPause.length).toBeLessThanOrEqual(1); // at most the step that was running when 'pause' arrived
    const pausedAt = duringPause.length ? (duringPause[0] as { step: number }).step : paused.step;
    const secondBeat = await w.waitFor('heartbeat', w.messages.indexOf(firstBeat) + 1);
    expect(w.messages.slice(mark, w.messages.indexOf(secondBeat)).filter((m) => m.type === 'progress')).toHaveLength(duringPause.length);
    expect(secondBeat.step).toBe(firstBeat.step);

    mark = w.messages.length;
    w.send({ type: 'resume' });
    await w.waitFor('resumed', mark);
    const after = await w.waitFor('progress', mark, (m) => m.step > pausedAt);
    expect(after.step).toBe(pausedAt + 1);

    // a heartbeat every ~2 s (the run has lasted at least 1.3 s by now)
    const heartbeat = await w.waitFor('heartbeat', 0, () => true, 5000);
    expect(typeof heartbeat.step).toBe('number');

    mark = w.messages.length;
    w.send({ type: 'stop' });
    const done = await w.waitFor('done', mark, () => true, 30_000);
    expect(done.status).toBe('stopped');
    expect(done.step).toBeLessThan(500);
    const finals = w.messages.filter((m) => m.type === 'checkpoint' && m.kind === 'final');
    expect(finals).toHaveLength(1);
    const final = finals[0] as Extract<EngineMessage, { type: 'checkpoint' }>;
    expect(final.step).toBe(done.step);
    expect(w.messages.indexOf(final)).toBeLessThan(w.messages.indexOf(done));
    expect(final.bytes).toBeInstanceOf(Uint8Array);

    const { code } = await w.exited;
    expect(code).toBe(0);

    const ckpt = decodeCheckpoint(final.bytes);
    expect(ckpt.step).toBe(done.step);
    expect(ckpt.optimizer?.stepCount).toBe(done.step);
    const model = new Model(ckpt.config);
    model.params.set(ckpt.params);
    const vocab = Vocabulary.fromChars(ckpt.vocab);
    const p = predictNext(model, vocab, 'Hello, RNN', 3);
    expect(p.top).toHaveLength(3);
    expect(p.top[0].p).toBeGreaterThan(0);
    expect(vocab.has(p.top[0].char)).toBe(true);
  });

  it('sends what it posts between two turns of its event loop at once, every message in order', async () => {
    const w = startWorker();
    w.send({ type: 'start', hyper: { ...PRESETS.reference.hyper, hidden: 8, embed: 4 }, corpusText: sentence });
    const done = await w.waitFor('done');
    expect(done.step).toBe(500);
    expect((await w.exited).code).toBe(0);
    const steps = w.messages.filter((m) => m.type === 'progress').map((m) => (m as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    // steps of a few milliseconds: several progress messages share a send, so the host wakes far less often
    expect(w.sends.some((sent) => Array.isArray(sent) && sent.filter((m) => m.type === 'progress').length >= 2)).toBe(true);
    expect(w.sends.length).toBeLessThan(w.messages.length / 2);
    expect(w.messages.at(-1)).toMatchObject({ type: 'done', status: 'done' });
  });

  it('answers a bad start message with a readable error (no stack) and exits', async () => {
    const w = startWorker();
    w.send({ type: 'start', hyper: { ...PRESETS.reference.hyper, window: 0 }, corpusText: sentence });
    const error = await w.waitFor('error');
    expect(error.message).toBe('Window must be a whole number from 1 to 4096 (got 0).');
    expect(error.step).toBeNull();
    const { code } = await w.exited;
    expect(code).toBe(1);
    expect(w.stderr()).toBe('');
  });

  it('answers an unknown message type with an error', async () => {
    const w = startWorker();
    w.send({ type: 'launch' });
    const error = await w.waitFor('error');
    expect(error.message).toMatch(/Unknown message type "launch"/);
    w.send({ type: 'stop' });
    expect((await w.exited).code).toBe(0);
  });

  it("talks through an Electron-style process.parentPort when there is one (Electron's ParentPort shape)", async () => {
    const preload = writeParentPortPreload();
    const child = fork(workerPath, [], { execArgv: ['--import', 'tsx', '--import', preload], serialization: 'advanced', cwd: repoRoot });
    started.push(child);
    const got: EngineMessage[] = [];
    const done = new Promise<void>((resolve) => {
      child.on('message', (m: { via?: string; message: EngineMessage }) => {
        expect(m.via).toBe('parentPort'); // everything came through postMessage
        got.push(m.message);
        if (m.message.type === 'progress' && m.message.step === 2) child.send({ type: 'stop' });
        if (m.message.type === 'done') resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.send({ type: 'start', hyper: { ...PRESETS.reference.hyper, hidden: 8, embed: 4 }, corpusText: sentence });
    await done;
    expect(got[0]).toMatchObject({ type: 'ready', pid: child.pid });
    expect(got.filter((m) => m.type === 'progress').map((m) => (m as { step: number }).step).slice(0, 2)).toEqual([1, 2]);
    const last = got[got.length - 1];
    expect(last).toMatchObject({ type: 'done', status: 'stopped' });
    expect(got[got.length - 2]).toMatchObject({ type: 'checkpoint', kind: 'final' });
    expect(await exited).toBe(0);
  });

  it('ends by itself within a second when its parent is killed (no orphaned engines)', async () => {
    const { workerPid, gone, goneAfterMs } = await killParentOfTrainingWorker(PRESETS.reference.hyper, corpusPath('seed-hello-rnn.txt'));
    expect(gone, `worker ${workerPid} still alive ${goneAfterMs} ms after its parent was killed`).toBe(true);
    expect(goneAfterMs).toBeLessThan(1000); // the host exits on 'disconnect', and checks the parent pid every 250 ms
  });

  it('ends within a second even in the middle of a long validation pass', async () => {
    // 50,000 validation windows take seconds to evaluate; the parent dies right after step 1, as step 2's pass starts.
    const hyper = { ...PRESETS.reference.hyper, batch: 16, steps: 1000, valFraction: 0.5, evalEvery: 2 };
    const { workerPid, gone, goneAfterMs } = await killParentOfTrainingWorker(hyper, corpusPath('kjv-1mib.txt'), { chars: 100_000 });
    expect(gone, `worker ${workerPid} still alive ${goneAfterMs} ms after its parent was killed`).toBe(true);
    expect(goneAfterMs).toBeLessThan(1000);
  });

  it('ends within a second when its parent is killed even behind an Electron-style parentPort, which never says so', async () => {
    // The port stays silent, so only the parent-pid watch can end it. Steps enough to still be training a second later.
    const hyper = { ...PRESETS.reference.hyper, steps: 1_000_000 };
    const preload = writeParentPortPreload();
    const { workerPid, gone, goneAfterMs } = await killParentOfTrainingWorker(hyper, corpusPath('seed-hello-rnn.txt'), { preload });
    expect(gone, `worker ${workerPid} still alive ${goneAfterMs} ms after its parent was killed`).toBe(true);
    expect(goneAfterMs).toBeLessThan(1000);
  });
});
