/**
 * `rnnwb serve` and malformed WebSocket frames: the real binary, a raw TCP socket that completes a proper
 * upgrade handshake with the token, then one frame no WebSocket peer may send (invalid UTF-8 in a text
 * frame, reserved bits set, an unmasked client frame, a header announcing more than the size limit).
 * The server must drop that client only: the process lives, another client's calls are answered, and the
 * run it is training keeps stepping.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../main/api/contract.ts';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { seedCorpus, startServe, tempDir, type ServeProcess } from './cli-helpers.ts';
import { nextRunEvent } from './run-helpers.ts';

const tmp = tempDir('rnnwb-ws-malformed-');
let serve: ServeProcess;
let url: URL;
let watcher: WsApi;

beforeAll(async () => {
  serve = await startServe(tmp.db);
  url = serve.url;
  watcher = serve.connect();
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

/** A TCP socket that has finished the WebSocket handshake (101) as an authenticated client. */
async function upgradedSocket(): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = connect(Number(url.port), '127.0.0.1');
  let buffer = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // a reset from the server is one way of being dropped
  socket.on('data', (chunk: Buffer) => (buffer = Buffer.concat([buffer, chunk])));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET /ws?token=${url.searchParams.get('token')} HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
      'Sec-WebSocket-Version: 13\r\n\r\n',
  );
  const deadline = Date.now() + 10_000;
  while (!buffer.includes('\r\n\r\n')) {
    if (Date.now() > deadline) throw new Error(`No handshake answer: ${buffer.toString('latin1')}`);
    await new Promise((resolve) => socket.once('data', resolve));
  }
  const head = buffer.subarray(0, buffer.indexOf('\r\n\r\n')).toString('latin1');
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  buffer = buffer.subarray(buffer.indexOf('\r\n\r\n') + 4);
  return { socket, received: () => buffer, closed };
}

/** A client frame: FIN + `firstByte`'s opcode and flags, masked unless told otherwise. */
function frame(firstByte: number, payload: Buffer, options: { masked?: boolean } = {}): Buffer {
  const masked = options.masked ?? true;
  const mask = randomBytes(4);
  const body = masked ? Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4])) : payload;
  return Buffer.concat([Buffer.from([firstByte, (masked ? 0x80 : 0) | payload.length]), masked ? mask : Buffer.alloc(0), body]);
}

/** A masked binary frame header announcing 1 GiB (twice the server's 512 MiB limit), with no payload sent. */
function oversizedHeader(): Buffer {
  const header = Buffer.alloc(2 + 8 + 4);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(2n ** 30n, 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** The status code of the close frame among the server's frames (run events may come first), or null. */
function closeCodeIn(stream: Buffer): number | null {
  let at = 0;
  while (at + 2 <= stream.length) {
    const opcode = stream[at] & 0x0f;
    let length = stream[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [stream.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [Number(stream.readBigUInt64BE(at + 2)), at + 10];
    if (opcode === 0x8) return length >= 2 ? stream.readUInt16BE(start) : null;
    at = start + length;
  }
  return null;
}

const BAD_FRAMES: { name: string; bytes: () => Buffer; closeCode: number }[] = [
  { name: 'a text frame that is not valid UTF-8', bytes: () => frame(0x81, Buffer.from([0xff, 0xfe, 0xfd])), closeCode: 1007 },
  { name: 'reserved bits set', bytes: () => frame(0xf1, Buffer.from('hi')), closeCode: 1002 },
  { name: 'an unmasked client frame', bytes: () => frame(0x81, Buffer.from('hi'), { masked: false }), closeCode: 1002 },
  { name: 'a header announcing more than the size limit', bytes: oversizedHeader, closeCode: 1009 },
];

describe('rnnwb serve with malformed WebSocket frames', () => {
  let runId: number;
  let lastStep = -1;

  it('starts a long run to watch', async () => {
    const corpus = await watcher.addCorpus({ name: 'seed', bytes: new Uint8Array(readFileSync(seedCorpus)) });
    watcher.onRunEvent((event) => {
      if (event.type === 'progress' && event.runId === runId) lastStep = Math.max(lastStep, event.metric.step);
    });
    const stepping = nextRunEvent(watcher, (event) => event.type === 'progress');
    runId = (await watcher.createRun({ corpusId: corpus.id, preset: 'reference', hyper: { steps: 1_000_000, hidden: 8, embed: 4 }, name: 'keeps-going' })).id;
    await stepping;
  }, 60_000);

  for (const bad of BAD_FRAMES) {
    it(`drops a client that sends ${bad.name}, and goes on`, async () => {
      const { socket, received, closed } = await upgradedSocket();
      socket.write(bad.bytes());
      await closed;
      // The server closed that connection itself, with the close code the protocol names for the fault.
      expect(closeCodeIn(received())).toBe(bad.closeCode);

      expect(serve.process.exitCode).toBeNull();
      expect((await watcher.listCorpora()).map((c) => c.name)).toEqual(['seed']);
      const stepBefore = lastStep;
      const laterStep = await nextRunEvent(watcher, (event: RunEvent) => event.type === 'progress' && event.runId === runId && event.metric.step > stepBefore);
      expect(laterStep.type).toBe('progress');
      expect((await watcher.getRun(runId)).status).toBe('running');
    }, 30_000);
  }

  it('stops the run cleanly afterwards', async () => {
    const stopped = nextRunEvent(watcher, (event) => event.type === 'status' && event.runId === runId && event.status !== 'running');
    await watcher.stopRun(runId);
    expect(await stopped).toMatchObject({ type: 'status', status: 'stopped' });
    expect(serve.process.exitCode).toBeNull();
  }, 30_000);
});
