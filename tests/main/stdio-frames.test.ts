/**
 * The stdio framing (main/runs/stdio-frames.ts; engine/pytorch/framing.py is the other end): messages
 * with binary fields and non-finite numbers cross whole however the stream is cut, and a malformed or
 * cut-off stream is one sentence. The Python end is exercised for real in pytorch-engine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader, encodeFrame } from '../../main/runs/stdio-frames.ts';

function readAll(chunks: Buffer[], end = true) {
  const messages: unknown[] = [];
  const problems: string[] = [];
  const reader = new FrameReader((m) => messages.push(m), (p) => problems.push(p), 'The engine');
  for (const c of chunks) reader.push(c);
  if (end) reader.end();
  return { messages, problems };
}

const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('stdio frames', () => {
  const message = {
    type: 'checkpoint', step: 3, trainLoss: NaN, valLoss: Infinity, low: -Infinity,
    bytes: bytesOf(1000, 1), sample: { text: 'line one\nline two — 李白', extra: bytesOf(0, 0), more: bytesOf(5, 9) },
  };

  it('carry blobs (raw, in order, any depth) and NaN/±Infinity, cut into single bytes', () => {
    const whole = Buffer.concat(encodeFrame(message));
    expect(whole.length).toBeLessThan(1005 + 300); // raw bytes, not base64 or a JSON array
    const bytewise = [...whole].map((b) => Buffer.from([b]));
    const { messages, problems } = readAll([...bytewise, ...encodeFrame({ type: 'heartbeat', step: 4 })]);
    expect(problems).toEqual([]);
    expect(messages).toEqual([message, { type: 'heartbeat', step: 4 }]);
    const bytes = (messages[0] as { bytes: Uint8Array }).bytes;
    expect(bytes.byteOffset === 0 && bytes.buffer.byteLength === 1000).toBe(true); // its own buffer, not a view of the stream's
  });

  it('a line that is not a message is a sentence, and the rest of the stream is ignored', () => {
    const { messages, problems } = readAll([Buffer.from('Loading weights...\n'), ...encodeFrame({ type: 'heartbeat', step: 1 })]);
    expect(messages).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^The engine wrote a line that is not a protocol message \(.+\): "Loading weights\.\.\."\.$/);
    expect(readAll([Buffer.from('[1, 2]\n')]).problems[0]).toBe('The engine wrote a line that is not a protocol message (a JSON object with a "type"): "[1, 2]".');
  });

  it('a stream that ends inside a message is a sentence', () => {
    const [line, blob] = encodeFrame({ type: 'checkpoint', bytes: bytesOf(10, 2) });
    expect(readAll([line, blob.subarray(0, 4)]).problems).toEqual(['The engine\'s output ended inside a "checkpoint" message\'s binary data: it stopped while writing.']);
    expect(readAll([line.subarray(0, 7)]).problems).toEqual(['The engine\'s output ended in the middle of a message line (7 bytes without their newline): it stopped while writing.']);
    expect(readAll([line, blob]).problems).toEqual([]);
  });
});
