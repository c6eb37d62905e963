/**
 * The one way a call from outside reaches the service, for all three transports (the app's MessagePort
 * to the backend process, the browser host's WebSocket, the CLI in process): the method and its
 * arguments are checked (schemas.ts), the service runs it, and whatever goes wrong becomes an ApiError:
 * a sentence for a person and its code. The port and the WebSocket send that as a frame
 * (`answerCallFrame`); the CLI gets it thrown.
 */
import { WorkbenchError, type ErrorCode } from '../errors.ts';
import { ApiError, type ApiMethod, type WorkbenchApi } from './contract.ts';
import { validateCall } from './schemas.ts';
import type { ServerFrame } from './wire.ts';

/** A call's answer as it crosses a process boundary: errors travel as values, so the message and its code survive. */
export type CallOutcome = { ok: true; value: unknown } | CallFailure;
export type CallFailure = { ok: false; message: string; code: ErrorCode };

/** Checks the call, runs it, and rejects with an ApiError only. */
export async function callApi(api: WorkbenchApi, method: unknown, args: unknown): Promise<unknown> {
  try {
    const valid = validateCall(method, args);
    return await (api[method as ApiMethod] as (...a: unknown[]) => Promise<unknown>).apply(api, valid);
  } catch (error) {
    throw toApiError(error);
  }
}

/** Checks the call and runs it; never rejects: the answer is the value or the failure, ready for the wire. */
export async function dispatch(api: WorkbenchApi, method: unknown, args: unknown): Promise<CallOutcome> {
  try {
    return { ok: true, value: await callApi(api, method, args) };
  } catch (error) {
    return failure(error);
  }
}

/**
 * A call frame as it arrives on a page's connection (the browser host's WebSocket, decoded; the app's
 * MessagePort), answered with its result or error frame. A frame that is no call is answered with id -1
 * (there is no call to answer to) and a sentence saying what is wrong with it.
 */
export async function answerCallFrame(api: WorkbenchApi, frame: unknown): Promise<ServerFrame> {
  let id = -1;
  try {
    if (!frame || typeof frame !== 'object') throw new ApiError('The frame must be an object.', 'bad-input');
    const { kind, id: given, method, args } = frame as Record<string, unknown>;
    if (kind !== 'call') throw new ApiError(`Unknown frame kind ${JSON.stringify(kind)}; expected "call".`, 'bad-input');
    if (typeof given !== 'number' || !Number.isInteger(given)) throw new ApiError('The frame needs a whole-number "id".', 'bad-input');
    id = given;
    const outcome = await dispatch(api, method, args);
    return outcome.ok ? { kind: 'result', id, value: outcome.value ?? null } : { kind: 'error', id, message: outcome.message, code: outcome.code };
  } catch (error) {
    return errorFrame(id, error);
  }
}

/** The error frame answering call `id` (-1: a frame that could not be read as a call). */
export function errorFrame(id: number, error: unknown): ServerFrame {
  const { message, code } = failure(error);
  return { kind: 'error', id, message, code };
}

/** Any error as the wire carries it. */
export function failure(error: unknown): CallFailure {
  const { message, code } = toApiError(error);
  return { ok: false, message, code };
}

/**
 * Our own errors keep their message and code (an ApiError passes as it is; a StorageError becomes an
 * ApiError with the same code); the engine's readable errors (a string `code`, or a RangeError) become
 * bad input; anything else is internal, named as such, and never a stack trace.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkbenchError) return new ApiError(error.message, error.code);
  if (error instanceof Error) {
    const engineError = typeof (error as { code?: unknown }).code === 'string' && error.constructor.name !== 'SqliteError';
    if ((engineError || error instanceof RangeError) && error.message) return new ApiError(error.message, 'bad-input');
    return internal(error.message);
  }
  return internal(String(error));
}

function internal(message: string): ApiError {
  return new ApiError(`Internal error: ${message.trim() || 'something went wrong in the workbench.'}`, 'internal');
}
