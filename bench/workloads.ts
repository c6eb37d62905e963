/**
 * The two benchmark workloads, shared by bench/engine.ts (timed against PyTorch) and bench/profile.ts
 * (per-kernel breakdown), so both measure the same thing:
 *   reference  Embedding(V,32) → LSTM|GRU(64) → last step → Linear; all 92 windows of seed-hello-rnn.txt
 *              as one batch; Adam 0.01.
 *   mid        Embedding(V,64) → 2 × LSTM|GRU(256) → Linear on every step; window 64, batch 32; Adam 0.002;
 *              random windows of kjv-1mib.txt (the same ones every time: seeded).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CellKind, ModelConfig } from '../engine/config.ts';
import { Rng } from '../engine/core/rng.ts';
import { fillBatch, makeWindows, sequentialOrder } from '../engine/data/windows.ts';
import { Vocabulary } from '../engine/text/vocab.ts';

export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
const SEED_CORPUS = join(SHARED, 'corpora', 'seed-hello-rnn.txt');
const MID_CORPUS = join(SHARED, 'corpora', 'kjv-1mib.txt');

export interface SeedSetup {
  vocab: Vocabulary;
  inputs: Int32Array;
  targets: Int32Array;
  B: number;
  T: number;
}

export function seedSetup(): SeedSetup {
  const text = readFileSync(SEED_CORPUS, 'utf8');
  const vocab = Vocabulary.fromText(text);
  const set = makeWindows(vocab.encode(text), 10, 'next', 1);
  const B = set.starts.length;
  const inputs = new Int32Array(B * 10);
  const targets = new Int32Array(B);
  fillBatch(set, sequentialOrder(B), 0, B, inputs, targets);
  return { vocab, inputs, targets, B, T: 10 };
}

export function seedConfig(cell: CellKind, V: number): ModelConfig {
  return { cell, layers: 1, vocabSize: V, embed: 32, hidden: 64, window: 10, objective: 'next', dropout: 0 };
}

export interface MidSetup {
  V: number;
  batches: { inputs: Int32Array; targets: Int32Array }[];
}

export const MID = { B: 32, T: 64, E: 64, H: 256, L: 2, lr: 0.002 };

export function midSetup(steps: number): MidSetup {
  const text = readFileSync(MID_CORPUS, 'utf8');
  const vocab = Vocabulary.fromText(text);
  const ids = vocab.encode(text);
  const rng = new Rng(1234);
  const { B, T } = MID;
  const batches = [];
  for (let s = 0; s < steps; s++) {
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = rng.int(ids.length - T - 1);
      inputs.set(ids.subarray(start, start + T), b * T);
      targets.set(ids.subarray(start + 1, start + T + 1), b * T);
    }
    batches.push({ inputs, targets });
  }
  return { V: vocab.size, batches };
}

export function midConfig(cell: CellKind, V: number): ModelConfig {
  return { cell, layers: MID.L, vocabSize: V, embed: MID.E, hidden: MID.H, window: MID.T, objective: 'every', dropout: 0 };
}
