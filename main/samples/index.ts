/**
 * The sample corpora bundled with the workbench (see README.md beside this file for where each text
 * comes from). The texts live in ./corpora/ next to this module — in the checkout and, copied there by
 * bin/bundle.js, next to the bundled main process — and are read when first asked for.
 */
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../storage/corpora.ts';

export const SAMPLE_IDS = ['hello-rnn', 'tang300', 'kjv-genesis'] as const;
export type SampleId = (typeof SAMPLE_IDS)[number];

export interface SampleSpec {
  id: SampleId;
  /** The corpus name it is stored under (short: automatic run names start with it). */
  name: string;
  file: string;
  /** One line each, in English (the UI shows its own translations). */
  description: string;
  source: string;
  licence: string;
}

export const SAMPLES: readonly SampleSpec[] = [
  {
    id: 'hello-rnn',
    name: 'hello-rnn',
    file: 'seed-hello-rnn.txt',
    description: 'The one-sentence corpus of the reference PyTorch script (102 characters).',
    source: 'The reference script.',
    licence: 'Public domain.',
  },
  {
    id: 'tang300',
    name: 'tang300',
    file: 'tang300.txt',
    description: '唐诗三百首: the 300 Tang poems (29,265 characters, 2,579 distinct).',
    source: 'Debian package fortunes-zh 2.98, file tang300 (colour codes and % separators stripped).',
    licence: 'The poems are Tang-dynasty works, public domain; the Debian packaging (GPL) is not included.',
  },
  {
    id: 'kjv-genesis',
    name: 'kjv-genesis',
    file: 'kjv-excerpt.txt',
    description: 'The Book of Genesis from the King James Bible (204,674 characters).',
    source: 'Debian packages bible-kjv + bible-kjv-text 4.38 (bible "Gen1:1-Rev22:21"), the text up to Exodus 1.',
    licence: 'Public domain (the text’s copyright has expired); the Debian packaging (GPL) is not included.',
  },
];

export function sampleSpec(id: string): SampleSpec | undefined {
  return SAMPLES.find((sample) => sample.id === id);
}

const loaded = new Map<SampleId, { bytes: Uint8Array; sha256: string; chars: number }>();

/** The sample's bytes (exactly the file), its SHA-256 and its length in code points. */
export function sampleText(id: SampleId): { bytes: Uint8Array; sha256: string; chars: number } {
  let sample = loaded.get(id);
  if (!sample) {
    const bytes = new Uint8Array(readFileSync(new URL(`./corpora/${sampleSpec(id)!.file}`, import.meta.url)));
    sample = { bytes, sha256: sha256Hex(bytes), chars: [...new TextDecoder().decode(bytes)].length };
    loaded.set(id, sample);
  }
  return sample;
}
