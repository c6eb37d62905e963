/**
 * The one error type the storage layer throws on purpose. It is an `ApiError`, so the service layer
 * can pass it through unchanged: its message is written for a person, its code maps to an exit code.
 */
import { ApiError } from '../api/contract.ts';

export class StorageError extends ApiError {
  constructor(message: string, code: ApiError['code'] = 'bad-input') {
    super(message, code);
    this.name = 'StorageError';
  }
}

export const notFound = (what: string): StorageError => new StorageError(`${what} does not exist.`, 'not-found');
