/**
 * The bundled sample corpora through the API: listed with the stored corpus that already holds each
 * text (matched by SHA-256, whatever it was named), and stored on request — once: asking again gives
 * back the stored corpus, marked `existing`.
 */
import { SAMPLES, sampleSpec, sampleText } from '../samples/index.ts';
import type { Storage } from '../storage/index.ts';
import { ApiError, type CorpusSummary, type SampleCorpus } from './contract.ts';

export function listSampleCorpora(storage: Storage): SampleCorpus[] {
  const stored = storage.corpora.list();
  return SAMPLES.map((spec) => {
    const { sha256, chars, bytes } = sampleText(spec.id);
    return {
      id: spec.id, name: spec.name, description: spec.description, source: spec.source, licence: spec.licence,
      chars, bytes: bytes.length, corpusId: stored.find((corpus) => corpus.sha256 === sha256)?.id ?? null,
    };
  });
}

export function addSampleCorpus(storage: Storage, sampleId: string): CorpusSummary {
  const spec = sampleSpec(sampleId);
  if (!spec) {
    throw new ApiError(`There is no sample corpus "${sampleId}"; the samples are ${SAMPLES.map((s) => `"${s.id}"`).join(', ')}.`, 'not-found');
  }
  const { bytes } = sampleText(spec.id);
  const { corpus, created } = storage.corpora.add({ name: spec.name, bytes, source: `sample:${spec.id}` });
  return created ? corpus : { ...corpus, existing: true };
}
