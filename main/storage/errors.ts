/**
 * The one error type the storage layer throws on purpose: its message is written for a person, its code
 * (main/errors.ts, shared by every layer) says what kind of refusal it is. Storage knows nothing of the
 * API; the dispatcher (api/dispatch.ts) sends a StorageError over the wire as it sends an ApiError.
 */
import { WorkbenchError, type ErrorCode } from '../errors.ts';

export class StorageError extends WorkbenchError {
  constructor(message: string, code: ErrorCode = 'bad-input') {
    super(message, code);
    this.name = 'StorageError';
  }
}

export const notFound = (what: string): StorageError => new StorageError(`${what} does not exist.`, 'not-found');
