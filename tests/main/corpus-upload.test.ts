// Issue 9, item 4 ("import shows progress"): the UI sends a corpus file in pieces (startCorpusUpload,
// corpusUploadPiece…, finishCorpusUpload) and shows how far it got. Here through a real `rnnwb serve`
// over WebSocket, the browser's path: the pieces add up to the same corpus as addCorpus of the whole
// file, every piece answers the bytes received so far, and a wrong upload ends in a sentence with
// nothing stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { startServe, tempDir, type ServeProcess } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-upload-');
let server: ServeProcess;
let api: WsApi;

beforeAll(async () => {
  server = await startServe(tmp.db);
  api = server.connect();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

/** Sends `bytes` in pieces of `size`; answers the progress each piece reported and the stored corpus. */
async function upload(name: string, bytes: Uint8Array, size: number, options: { normalize?: boolean } = {}) {
  const { uploadId } = await api.startCorpusUpload({ name, bytes: bytes.length, source: `${name}.txt`, ...options });
  const progress: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    const answer = await api.corpusUploadPiece(uploadId, bytes.subarray(offset, offset + size));
    expect(answer.total).toBe(bytes.length);
    progress.push(answer.received);
  }
  return { progress, corpus: await api.finishCorpusUpload(uploadId) };
}

describe('a corpus file sent in pieces', () => {
  it('is stored as the whole file would be, with the bytes received after each piece', async () => {
    // Pieces of 5 bytes cut the 4-byte face and the CRLF in two.
    const bytes = new TextEncoder().encode('\uFEFFab\r\n😀 世界\r\nend');
    const { progress, corpus } = await upload('pieces', bytes, 5);
    expect(progress).toEqual([5, 10, 15, 20, 23]);
    expect(corpus).toMatchObject({ name: 'pieces', source: 'pieces.txt', bytes: 23, chars: 14 });
    expect(await api.addCorpus({ name: 'whole', bytes })).toMatchObject({ id: corpus.id, existing: true });
    expect((await api.getCorpus(corpus.id)).text).toBe('\uFEFFab\r\n😀 世界\r\nend');
    // Normalizing applies to an uploaded file as to addCorpus's bytes.
    const { corpus: clean } = await upload('clean', bytes, 7, { normalize: true });
    expect((await api.getCorpus(clean.id)).text).toBe('ab\n😀 世界\nend');
  });

  it('refuses a wrong upload in a sentence and stores nothing', async () => {
    const before = (await api.listCorpora()).length;
    const bytes = new TextEncoder().encode('twelve bytes');

    const short = await api.startCorpusUpload({ name: 'short', bytes: bytes.length });
    await api.corpusUploadPiece(short.uploadId, bytes.subarray(0, 5));
    await expect(api.finishCorpusUpload(short.uploadId)).rejects.toThrow('The upload of "short" ended after 5 of its 12 bytes; nothing was stored.');

    const long = await api.startCorpusUpload({ name: 'long', bytes: 4 });
    await expect(api.corpusUploadPiece(long.uploadId, bytes)).rejects.toThrow('The upload of "long" sent more than the 4 bytes it announced; it was dropped.');
    const over = 'That upload is over (finished, dropped after a failure, or idle too long); start the import again.';
    await expect(api.corpusUploadPiece(long.uploadId, bytes)).rejects.toThrow(over);
    await expect(api.finishCorpusUpload('no-such-upload')).rejects.toThrow(over);

    const invalid = await api.startCorpusUpload({ name: 'invalid', bytes: 2 });
    await api.corpusUploadPiece(invalid.uploadId, new Uint8Array([0xc3, 0x28]));
    await expect(api.finishCorpusUpload(invalid.uploadId)).rejects.toThrow(/UTF-8/);

    await expect(api.startCorpusUpload({ name: 'empty', bytes: 0 })).rejects.toThrow('Corpus "empty" is empty.');
    await expect(api.startCorpusUpload({ name: 'huge', bytes: 2 ** 31 })).rejects.toThrow(
      'Corpus "huge" has 2,147,483,648 bytes; a corpus can have at most 2,147,483,647 bytes (2 GiB).',
    );
    expect(await api.listCorpora()).toHaveLength(before);
  });
});
