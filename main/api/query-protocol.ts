/** What the service and its query workers say to each other (query-workers.ts ⇄ query-worker.ts). */
import type { CallFailure } from './dispatch.ts';
import type { Id, WorkbenchApi } from './contract.ts';

/** The calls a query worker answers: the ones that can take long. */
export const QUERY_METHODS = ['compare', 'compareCsv', 'predict', 'generate', 'trace', 'evaluate', 'calibrateSpeed'] as const;
export type QueryMethod = (typeof QUERY_METHODS)[number];

export type QueryCall = { [M in QueryMethod]: { kind: 'call'; id: number; method: M; input: Parameters<WorkbenchApi[M]>[0] } }[QueryMethod];

export type QueryRequest =
  | QueryCall
  /** A checkpoint was deleted (or everything, without an id): its model leaves the worker's cache. */
  | { kind: 'forget'; checkpointId?: Id };

export type QueryReply = { id: number } & ({ ok: true; value: unknown } | CallFailure);
