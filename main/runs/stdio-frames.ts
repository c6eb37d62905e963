/**
 * The stdio framing an engine outside Node speaks (docs/engine-protocol.md; engine/pytorch/framing.py
 * is the other end): one message = one line of UTF-8 JSON ending in "\n". A binary field (a
 * Uint8Array) is written as {"$blob": N} and its N raw bytes follow the line, blobs in the order they
 * appear in it; a number JSON cannot hold is {"$float": "NaN" | "Infinity" | "-Infinity"}.
 * Raw bytes, not base64: a checkpoint or a corpus crosses at pipe speed and at its own size.
 * Not the protocol (engine/protocol.ts says what the messages mean): only how they cross a pipe.
 */

/** A line longer than this is not a message (binary data travels as blobs). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The buffers that carry one message: its line, then its blobs (views, not copies). */
export function encodeFrame(message: unknown): Buffer[] {
  const blobs: Buffer[] = [];
  const line = JSON.stringify(message, function (key, value: unknown) {
    // `this[key]` is the raw value: a Uint8Array before toJSON-like conversions; numbers as they are.
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) {
      blobs.push(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
      return { $blob: raw.byteLength };
    }
    if (typeof value === 'number' && !Number.isFinite(value)) return { $float: String(value) };
    return value;
  });
  return [Buffer.from(`${line}\n`, 'utf8'), ...blobs];
}

interface Pending {
  message: unknown;
  /** Where each blob goes, in order. */
  slots: { holder: Record<string, unknown>; key: string; size: number }[];
}

/**
 * Turns a byte stream into messages. `push` each chunk as it arrives; `end` when the stream has ended.
 * A problem (a line that is not JSON, a stream that stops inside a message) is a sentence; after one,
 * the reader ignores the rest of the stream.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Pending | null = null;
  private broken = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onProblem: (sentence: string) => void,
    private readonly who = 'The engine',
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain();
  }

  /** The stream has ended: anything left over is a message cut off. */
  end(): void {
    if (this.broken || (this.buffered === 0 && this.pending === null)) return;
    const what = this.pending ? `inside a "${messageType(this.pending.message)}" message's binary data` : `in the middle of a message line (${this.buffered} bytes without their newline)`;
    this.fail(`${this.who}'s output ended ${what}: it stopped while writing.`);
  }

  private drain(): void {
    while (!this.broken) {
      if (this.pending === null) {
        const line = this.takeLine();
        if (line === null) return;
        this.pending = this.parse(line);
        if (this.pending === null) return;
      }
      const need = this.pending.slots.reduce((sum, s) => sum + s.size, 0);
      if (this.buffered < need) return;
      const { message, slots } = this.pending;
      for (const slot of slots) slot.holder[slot.key] = this.take(slot.size);
      this.pending = null;
      this.onMessage(message);
    }
  }

  private takeLine(): Buffer | null {
    let seen = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(10);
      if (at >= 0) {
        const line = this.take(seen + at + 1);
        return Buffer.from(line.buffer, 0, line.length - 1);
      }
      seen += chunk.length;
    }
    if (seen > MAX_LINE_BYTES) this.fail(`${this.who} wrote a line longer than ${MAX_LINE_BYTES} bytes: it is not speaking the engine protocol.`);
    return null;
  }

  /** The first `n` buffered bytes, removed from the buffer, as a copy of their own (not a view of a big chunk). */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    const first = this.chunks[0];
    const out = new Uint8Array(first.buffer, first.byteOffset, n).slice();
    if (first.length > n) this.chunks[0] = first.subarray(n);
    else this.chunks.shift();
    this.buffered -= n;
    return out;
  }

  private parse(line: Buffer): Pending | null {
    const slots: Pending['slots'] = [];
    let message: unknown;
    try {
      message = JSON.parse(line.toString('utf8'), function (key, value: unknown) {
        if (isRecord(value)) {
          const keys = Object.keys(value);
          if (keys.length === 1 && keys[0] === '$float' && ['NaN', 'Infinity', '-Infinity'].includes(value.$float as string)) return Number(value.$float);
          if (keys.length === 1 && keys[0] === '$blob') {
            const size = value.$blob;
            if (!Number.isSafeInteger(size) || (size as number) < 0) throw new SyntaxError(`a binary field declares ${JSON.stringify(size)} bytes`);
            slots.push({ holder: this as Record<string, unknown>, key, size: size as number });
          }
        }
        return value;
      });
    } catch (error) {
      const shown = line.subarray(0, 80).toString('utf8');
      this.fail(`${this.who} wrote a line that is not a protocol message (${(error as Error).message}): ${JSON.stringify(shown)}.`);
      return null;
    }
    if (!isRecord(message) || typeof message.type !== 'string') {
      this.fail(`${this.who} wrote a line that is not a protocol message (a JSON object with a "type"): ${JSON.stringify(line.subarray(0, 80).toString('utf8'))}.`);
      return null;
    }
    return { message, slots };
  }

  private fail(sentence: string): void {
    this.broken = true;
    this.chunks = [];
    this.buffered = 0;
    this.pending = null;
    this.onProblem(sentence);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageType(message: unknown): string {
  return isRecord(message) && typeof message.type === 'string' ? message.type : '?';
}
