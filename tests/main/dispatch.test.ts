// The one dispatcher (main/api/dispatch.ts): a call from outside is checked, run, and any failure leaves
// as the same { message, code } whichever transport carried it. First the dispatcher alone, against a
// stand-in API that throws each kind of error; then the three transports (the app's MessagePort as the
// backend process serves it, on a stand-in MessageChannelMain; the browser host's WebSocket; the CLI's
// in-process API) on the real service and a real SQLite file, answering the same failing calls alike.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiError, type WorkbenchApi } from '../../main/api/contract.ts';
import { callApi, dispatch, type CallFailure, type CallOutcome } from '../../main/api/dispatch.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { decodeFrame, encodeFrame, type ServerFrame } from '../../main/api/wire.ts';
import { openWorkbench, type Workbench } from '../../main/cli/workbench.ts';
import { servePort } from '../../main/backend/serve-port.ts';
import { StorageError } from '../../main/storage/index.ts';
import { startBrowserHost, type BrowserHost } from '../../main/transport/ws-server.ts';
import { tempDir } from './cli-helpers.ts';
import { MessageChannelMain, type StandInPort } from './electron-stand-in.ts';

/** A page's port to `api`, served as the backend process serves each window's. */
function portTo(api: WorkbenchApi): StandInPort {
  const channel = new MessageChannelMain();
  servePort(api, channel.port1);
  channel.port2.start();
  return channel.port2;
}

let nextPortCall = 1;
/** One call frame on a page's port, and the frame that answers it, as a CallOutcome. */
async function overPort(port: StandInPort, method: string, args: unknown[]): Promise<CallOutcome> {
  const id = nextPortCall++;
  const answer = new Promise<ServerFrame>((resolve) => {
    const listener = ({ data }: { data: ServerFrame }) => {
      if (data.kind !== 'event' && data.id === id) {
        port.off('message', listener);
        resolve(data);
      }
    };
    port.on('message', listener);
  });
  port.postMessage({ kind: 'call', id, method, args });
  const frame = await answer;
  if (frame.kind === 'result') return { ok: true, value: frame.value };
  if (frame.kind === 'error') return { ok: false, message: frame.message, code: frame.code as CallFailure['code'] };
  throw new Error('an event frame answered a call');
}

/** An API whose `listRuns` throws `error` and whose `getRun` answers; nothing else is called (but run events are subscribed to). */
function throwing(error: unknown): WorkbenchApi {
  return {
    listRuns: async () => {
      throw error;
    },
    getRun: async (id: number) => ({ id }),
    onRunEvent: () => () => {},
  } as unknown as WorkbenchApi;
}

describe('the dispatcher', () => {
  it('checks the call before running it: unknown methods and bad arguments never reach the service', async () => {
    const calls: unknown[][] = [];
    const api = { getRun: async (...args: unknown[]) => calls.push(args) } as unknown as WorkbenchApi;
    expect(await dispatch(api, 'dropEverything', [])).toEqual({ ok: false, message: 'Unknown method "dropEverything".', code: 'bad-input' });
    expect(await dispatch(api, 'getRun', 'not a list')).toEqual({ ok: false, message: 'getRun: the arguments must be a list.', code: 'bad-input' });
    const bad = await dispatch(api, 'getRun', ['1; DROP TABLE runs']);
    expect(bad).toMatchObject({ ok: false, code: 'bad-input' });
    expect((bad as CallFailure).message).toMatch(/^getRun: id/);
    expect(calls).toEqual([]);
    expect(await dispatch(throwing(null), 'getRun', [7])).toEqual({ ok: true, value: { id: 7 } });
  });

  it('maps each kind of error to one message and code, and never rejects', async () => {
    const cases: [unknown, Omit<CallFailure, 'ok'>][] = [
      [new ApiError('No run with id 9.', 'not-found'), { message: 'No run with id 9.', code: 'not-found' }],
      // Storage's own error is no ApiError (storage knows nothing of the API), yet keeps its code.
      [new StorageError('A run named "a" already exists. Choose another name.', 'conflict'), { message: 'A run named "a" already exists. Choose another name.', code: 'conflict' }],
      [new StorageError('Run #3 does not exist.', 'not-found'), { message: 'Run #3 does not exist.', code: 'not-found' }],
      // The engine's readable refusals carry a string code.
      [Object.assign(new Error('The window is longer than the corpus.'), { code: 'E_WINDOW' }), { message: 'The window is longer than the corpus.', code: 'bad-input' }],
      [new RangeError('temperature must be above 0'), { message: 'temperature must be above 0', code: 'bad-input' }],
      // Anything else is our fault: said so, in one line, no stack.
      [new TypeError('x.y is not a function'), { message: 'Internal error: x.y is not a function', code: 'internal' }],
      [new Error(''), { message: 'Internal error: something went wrong in the workbench.', code: 'internal' }],
      ['a thrown string', { message: 'Internal error: a thrown string', code: 'internal' }],
    ];
    for (const [error, expected] of cases) {
      expect(await dispatch(throwing(error), 'listRuns', []), String(error)).toEqual({ ok: false, ...expected });
      // The CLI's path: the same failure, thrown as an ApiError.
      const thrown = await callApi(throwing(error), 'listRuns', []).then(() => null, (e: unknown) => e);
      expect(thrown).toBeInstanceOf(ApiError);
      expect({ message: (thrown as ApiError).message, code: (thrown as ApiError).code }).toEqual(expected);
    }
  });
});

describe('the three transports', () => {
  const tmp = tempDir('rw-dispatch-');
  let service: WorkbenchService;
  let port: StandInPort;
  let host: BrowserHost;
  let socket: WebSocket;
  let cli: Workbench;

  beforeAll(async () => {
    service = createWorkbenchService({ dbPath: tmp.db });
    await service.addCorpus({ name: 'first', text: 'abc abc abc abc\n' });
    await service.addCorpus({ name: 'second', text: 'xyz xyz xyz xyz\n' });
    port = portTo(service);
    host = await startBrowserHost({ api: service, port: 0, rendererDir: path.join(tmp.dir, 'no-ui') });
    socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    // The CLI opens the same database as another host would (as `rnnwb` beside a running app).
    cli = openWorkbench(tmp.db);
  });

  afterAll(async () => {
    socket?.close();
    await host?.close();
    port?.close();
    await cli?.close();
    await service?.close();
    tmp.remove();
  });

  let nextId = 1;
  async function overWebSocket(method: string, args: unknown[]): Promise<CallOutcome> {
    const id = nextId++;
    const answer = new Promise<ServerFrame>((resolve) => {
      const listener = (data: WebSocket.RawData) => {
        const frame = decodeFrame<ServerFrame>(String(data));
        if (frame.kind !== 'event' && frame.id === id) {
          socket.off('message', listener);
          resolve(frame);
        }
      };
      socket.on('message', listener);
    });
    socket.send(encodeFrame({ kind: 'call', id, method: method as never, args }));
    const frame = await answer;
    if (frame.kind === 'result') return { ok: true, value: frame.value };
    if (frame.kind === 'error') return { ok: false, message: frame.message, code: frame.code as CallFailure['code'] };
    throw new Error('an event frame answered a call');
  }

  async function inCli(method: string, args: unknown[]): Promise<CallOutcome> {
    try {
      const value = await (cli.api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args);
      return { ok: true, value };
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return { ok: false, message: (error as ApiError).message, code: (error as ApiError).code };
    }
  }

  it('answer the same failing call with the same message and code', async () => {
    const corpora = await service.listCorpora();
    const first = corpora.find((c) => c.name === 'first')!;
    const second = corpora.find((c) => c.name === 'second')!;
    const calls: [string, unknown[], Omit<CallFailure, 'ok' | 'message'> & { message: string | RegExp }][] = [
      // Refused by the argument check.
      ['addCorpus', [42], { code: 'bad-input', message: /^addCorpus: input/ }],
      ['getRun', ['1; DROP TABLE runs'], { code: 'bad-input', message: /^getRun: id/ }],
      // Refused by the service (an ApiError).
      ['getRun', [987654], { code: 'not-found', message: 'No run with id 987654.' }],
      // Refused by storage (a StorageError, no ApiError): its code survives every transport.
      ['updateCorpus', [second.id, { name: first.name }], { code: 'conflict', message: `A corpus named "${first.name}" already exists.` }],
    ];
    for (const [method, args, expected] of calls) {
      const direct = await dispatch(service, method, args);
      expect(direct, method).toMatchObject({ ok: false, code: expected.code });
      expect((direct as CallFailure).message).toMatch(expected.message);
      expect(await overPort(port, method, args), `${method} over the app's MessagePort`).toEqual(direct);
      expect(await overWebSocket(method, args), `${method} over WebSocket`).toEqual(direct);
      expect(await inCli(method, args), `${method} in the CLI`).toEqual(direct);
    }
    // Nothing of it was stored.
    expect((await service.listCorpora()).map((c) => c.name).sort()).toEqual(['first', 'second']);
  });

  it('answer an unexpected error (a bug, not a refusal) alike: internal, one line, no stack', async () => {
    // The CLI opens its own service, so only the MessagePort and the WebSocket can be handed a failing API.
    const broken = throwing(new TypeError('Cannot read properties of undefined (reading \'id\')'));
    const expected = { ok: false, message: 'Internal error: Cannot read properties of undefined (reading \'id\')', code: 'internal' };
    const brokenPort = portTo(broken);
    try {
      expect(await overPort(brokenPort, 'listRuns', [])).toEqual(expected);
    } finally {
      brokenPort.close();
    }
    const brokenHost = await startBrowserHost({ api: broken, port: 0, rendererDir: path.join(tmp.dir, 'no-ui') });
    const brokenSocket = new WebSocket(`ws://127.0.0.1:${brokenHost.port}/ws?token=${brokenHost.token}`);
    try {
      const frame = await new Promise<ServerFrame>((resolve, reject) => {
        brokenSocket.once('error', reject);
        brokenSocket.once('message', (data) => resolve(decodeFrame<ServerFrame>(String(data))));
        brokenSocket.once('open', () => brokenSocket.send(encodeFrame({ kind: 'call', id: 1, method: 'listRuns', args: [] })));
      });
      expect(frame).toEqual({ kind: 'error', id: 1, message: expected.message, code: expected.code });
    } finally {
      brokenSocket.close();
      await brokenHost.close();
    }
  });

  it('answer a frame on the app\'s port that is no call with a sentence (id -1), and go on serving', async () => {
    const unanswered = new Promise<ServerFrame>((resolve) => port.once('message', ({ data }: { data: ServerFrame }) => resolve(data)));
    port.postMessage({ kind: 'cast', id: 5, method: 'listRuns', args: [] });
    expect(await unanswered).toEqual({ kind: 'error', id: -1, message: 'Unknown frame kind "cast"; expected "call".', code: 'bad-input' });
    expect(await overPort(port, 'listCorpora', [])).toMatchObject({ ok: true });
  });

  it('answer a call that works alike too', async () => {
    const direct = await dispatch(service, 'listCorpora', []);
    expect(direct).toMatchObject({ ok: true });
    expect(await overPort(port, 'listCorpora', [])).toEqual(direct);
    expect(await overWebSocket('listCorpora', [])).toEqual(direct);
    expect(await inCli('listCorpora', [])).toEqual(direct);
  });
});
