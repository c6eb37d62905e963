/**
 * A big corpus crosses to the engine process in pieces (`corpus-chunk` messages) ahead of its start
 * message: a process channel copies a message whole several times on the way (serialized, buffered,
 * joined, deserialized), which for one 200 MB message costs the engine hundreds of MB it never gets
 * back. In pieces, each copy is a chunk and the engine writes them into one preallocated array.
 * The host side cuts (`corpusChunks`), the engine side assembles (`CorpusAssembler`).
 */
import type { CorpusChunkMessage, StartMessage } from '../protocol.ts';

/** Bytes per chunk: small next to a big corpus, big enough that the message count stays low. */
export const CORPUS_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * The messages that carry `job` to an engine: the job itself when its corpus is small (or text), else
 * the corpus's chunks (views, not copies) followed by the job without its bytes. A Node channel
 * serializes just a view's bytes; a structured clone (Electron's postMessage) would send the whole
 * buffer under each view, so the Electron launcher copies a chunk as it posts it.
 */
export function startMessages(job: StartMessage, chunkBytes = CORPUS_CHUNK_BYTES): (StartMessage | CorpusChunkMessage)[] {
  const bytes = job.corpusBytes;
  if (bytes === undefined || bytes.length <= chunkBytes) return [job];
  const messages: (StartMessage | CorpusChunkMessage)[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    messages.push({ type: 'corpus-chunk', offset, total: bytes.length, bytes: bytes.subarray(offset, offset + chunkBytes) });
  }
  const { corpusBytes: _sent, ...rest } = job;
  messages.push({ ...rest, corpusChunked: bytes.length });
  return messages;
}

/** Collects `corpus-chunk` messages into one array; every problem is a sentence (they come from another process). */
export class CorpusAssembler {
  private bytes: Uint8Array | null = null;
  private received = 0;

  /** Adds one chunk; returns why it cannot be used, or null. */
  add(raw: unknown): string | null {
    const msg = raw as Partial<CorpusChunkMessage>;
    const { offset, total, bytes } = msg;
    if (!Number.isSafeInteger(total) || total! < 1 || !Number.isSafeInteger(offset) || offset! < 0 || !(bytes instanceof Uint8Array)) {
      return 'A corpus chunk needs a whole-number offset and total and its bytes (a Uint8Array).';
    }
    if (this.bytes === null) this.bytes = new Uint8Array(total!);
    if (total !== this.bytes.length) return `A corpus chunk says the corpus has ${total} bytes; earlier chunks said ${this.bytes.length}.`;
    if (offset! + bytes.length > total!) return `A corpus chunk of ${bytes.length} bytes at offset ${offset} runs past the corpus's ${total} bytes.`;
    this.bytes.set(bytes, offset);
    this.received += bytes.length;
    return null;
  }

  /** The whole corpus, handed over once (the assembler forgets it); throws a sentence when it is incomplete. */
  take(expected: number): Uint8Array {
    const bytes = this.bytes;
    if (bytes === null || bytes.length !== expected || this.received !== expected) {
      throw new Error(`The start message announced a corpus of ${expected} bytes, but ${this.received} arrived.`);
    }
    this.bytes = null;
    this.received = 0;
    return bytes;
  }
}
