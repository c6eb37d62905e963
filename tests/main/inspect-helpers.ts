/** A database holding a run whose checkpoint is the hand-built quote model (tests/engine/inspect-fixtures.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PRESETS } from '../../engine/config.ts';
import { encodeCheckpoint } from '../../engine/format/checkpoint.ts';
import type { CheckpointSummary } from '../../main/api/contract.ts';
import type { RunRecord } from '../../main/storage/index.ts';
import { Storage } from '../../main/storage/index.ts';
import { QUOTED_TEXT, plantedQuoteModel } from '../engine/inspect-fixtures.ts';

/** The quoted text 8 times: the validation split (half) holds 4 copies. */
export const QUOTE_CORPUS = QUOTED_TEXT.repeat(8);

export function openQuoteStorage(prefix: string): { dir: string; dbPath: string; storage: Storage; run: RunRecord; checkpoint: CheckpointSummary } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const dbPath = path.join(dir, 'workbench.db');
  const storage = Storage.open(dbPath);
  const corpusId = storage.corpora.add({ name: 'quotes', text: QUOTE_CORPUS }).corpus.id;
  const { model, vocab } = plantedQuoteModel();
  const hyper = { ...PRESETS.reference.hyper, cell: 'lstm' as const, layers: 1, hidden: model.config.hidden, embed: model.config.embed, objective: 'every' as const, window: 64, valFraction: 0.5 };
  const vocabulary = storage.vocabularies.getOrCreate(vocab.chars);
  const run = storage.runs.create({
    name: 'quotes', corpusId, vocabularyId: vocabulary.id, hyper, status: 'done',
    reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: 1, hyper },
  });
  const bytes = encodeCheckpoint({ config: model.config, vocab: vocab.chars, params: model.params, step: 1, hyper });
  const checkpoint = storage.checkpoints.add({ runId: run.id, step: 1, kind: 'final', valLoss: null, trainLoss: 1, bytes });
  return { dir, dbPath, storage, run, checkpoint };
}
