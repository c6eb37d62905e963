/**
 * A corpus file sent in pieces (`startCorpusUpload`, `corpusUploadPiece`…, `finishCorpusUpload`): the
 * UI shows how far an import got, and no single message carries a whole big file (the WebSocket
 * transport caps a message at 512 MiB). The pieces are gathered into one buffer of the announced size,
 * then stored as `addCorpus` stores bytes. An upload nobody continues is dropped after a while, so a
 * closed window leaves no buffer behind.
 */
import { randomUUID } from 'node:crypto';
import { groupDigits } from '../../engine/text/errors.ts';
import { refuseTooBig } from '../storage/index.ts';
import { ApiError } from './contract.ts';

/** How long an upload may wait for its next piece before it is dropped. */
export const UPLOAD_IDLE_MS = 5 * 60_000;

export interface UploadStart {
  name: string;
  /** The file's size in bytes: exactly that many must arrive. */
  bytes: number;
  source?: string;
  normalize?: boolean;
}

interface Upload {
  start: UploadStart;
  buffer: Buffer;
  received: number;
  expiry: NodeJS.Timeout;
}

export class CorpusUploads {
  private readonly open = new Map<string, Upload>();

  start(start: UploadStart): { uploadId: string } {
    const name = start.name.trim();
    if (name === '') throw new ApiError('A corpus needs a name.');
    if (start.bytes === 0) throw new ApiError(`Corpus "${name}" is empty.`);
    refuseTooBig(start.bytes, name);
    const uploadId = randomUUID();
    this.open.set(uploadId, { start: { ...start, name }, buffer: Buffer.allocUnsafe(start.bytes), received: 0, expiry: this.expiry(uploadId) });
    return { uploadId };
  }

  /** Appends the next piece; answers how many bytes have arrived of how many. */
  piece(uploadId: string, bytes: Uint8Array): { received: number; total: number } {
    const upload = this.require(uploadId);
    const total = upload.buffer.length;
    if (upload.received + bytes.length > total) {
      this.drop(uploadId);
      throw new ApiError(`The upload of "${upload.start.name}" sent more than the ${groupDigits(total)} bytes it announced; it was dropped.`);
    }
    upload.buffer.set(bytes, upload.received);
    upload.received += bytes.length;
    upload.expiry.refresh();
    return { received: upload.received, total };
  }

  /** The whole file, once every announced byte arrived; the upload is over either way. */
  finish(uploadId: string): UploadStart & { content: Uint8Array } {
    const upload = this.require(uploadId);
    this.drop(uploadId);
    if (upload.received !== upload.buffer.length) {
      throw new ApiError(
        `The upload of "${upload.start.name}" ended after ${groupDigits(upload.received)} of its ${groupDigits(upload.buffer.length)} bytes; nothing was stored.`,
      );
    }
    return { ...upload.start, content: upload.buffer };
  }

  closeAll(): void {
    for (const uploadId of [...this.open.keys()]) this.drop(uploadId);
  }

  private require(uploadId: string): Upload {
    const upload = this.open.get(uploadId);
    if (!upload) throw new ApiError('That upload is over (finished, dropped after a failure, or idle too long); start the import again.', 'not-found');
    return upload;
  }

  private drop(uploadId: string): void {
    const upload = this.open.get(uploadId);
    if (!upload) return;
    clearTimeout(upload.expiry);
    this.open.delete(uploadId);
  }

  private expiry(uploadId: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.drop(uploadId), UPLOAD_IDLE_MS);
    timer.unref();
    return timer;
  }
}
