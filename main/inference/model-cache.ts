/**
 * Models loaded from stored checkpoints for the playground (predict, generate, trace, evaluate), kept
 * in a small least-recently-used cache by checkpoint id: a person trying prompt after prompt on one
 * checkpoint should not pay for decoding the safetensors file every time.
 */
import { decodeCheckpoint, type Checkpoint } from '../../engine/format/checkpoint.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { loadKernels } from '../../engine/kernels/index.ts';
import { Model } from '../../engine/model.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { ApiError, type Id } from '../api/contract.ts';

export interface LoadedModel {
  checkpointId: Id;
  model: Model;
  vocab: Vocabulary;
  checkpoint: Checkpoint;
}

export class ModelCache {
  // A Map keeps insertion order: the first key is the least recently used.
  private readonly entries = new Map<Id, LoadedModel>();

  constructor(private readonly capacity = 8) {}

  /** The loaded model of a checkpoint; `read` gives its bytes (null: it does not exist). */
  async get(checkpointId: Id, read: () => { bytes: Uint8Array; label: string } | null): Promise<LoadedModel> {
    const cached = this.entries.get(checkpointId);
    if (cached) {
      this.entries.delete(checkpointId);
      this.entries.set(checkpointId, cached);
      return cached;
    }
    const source = read();
    if (!source) throw new ApiError(`No checkpoint with id ${checkpointId}.`, 'not-found');
    const loaded = await loadModel(checkpointId, source.bytes, source.label);
    this.entries.set(checkpointId, loaded);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return loaded;
  }

  /** Drops a checkpoint (deleted) or everything. */
  forget(checkpointId?: Id): void {
    if (checkpointId === undefined) this.entries.clear();
    else this.entries.delete(checkpointId);
  }

  get size(): number {
    return this.entries.size;
  }
}

export async function loadModel(checkpointId: Id, bytes: Uint8Array, label: string): Promise<LoadedModel> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(bytes);
  } catch (error) {
    throw new ApiError(`${label} cannot be read: ${error instanceof Error ? error.message : String(error)}`, 'bad-input');
  }
  const model = new Model(checkpoint.config, await loadKernels(checkpoint.kernelPath, 1, nodeKernelHost));
  model.params.set(checkpoint.params);
  return { checkpointId, model, vocab: Vocabulary.fromChars(checkpoint.vocab), checkpoint };
}
