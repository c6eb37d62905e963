/**
 * Corpus memory benchmark (not a test): `npm run bench:corpus [-- --sizes 50,100,200] [-- --largest]`.
 *
 * For each size (MiB of the shared King James text, repeated), through the real CLI on a fresh database:
 *   1. `rnnwb corpus add`: wall time and the peak RSS of the process;
 *   2. `rnnwb train --steps 20 --hidden 32 --batch 32 --val 0`: wall time, the peak RSS of the host
 *      (the CLI) and of its engine process, and of the largest of them per character of the corpus.
 * Memory should grow linearly with the size (about 1 byte per character of ids, 4 per training window
 * of the shuffled order, and the bytes read once), so the bytes per character of each process stay put.
 * `--largest` adds 1024 MiB (corpora are stored in 16 MiB pieces, so nothing caps them at V8's 512 MiB
 * string); its engine needs about 6.5 GB of memory, so it runs only when asked.
 * Linux only (peak RSS from /usr/bin/time and /proc).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MISSING_TIME, runCliMeasured, timeCommand, writeBigCorpus, type MeasuredRun } from '../tests/main/peak-rss.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '50,100,200' }, largest: { type: 'boolean', default: false } },
});
const sizes = values.sizes.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
if (values.largest) sizes.push(1024);
if (!timeCommand) {
  console.error(MISSING_TIME);
  process.exit(2);
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`.padStart(8);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(7);

function check(what: string, run: MeasuredRun): void {
  if (run.code !== 0) {
    console.error(`${what} failed (exit ${run.code}):\n${run.stderr}`);
    process.exit(1);
  }
}

console.log('size      | import    peak    | train     host     engine   | bytes/char: import  host  engine');
for (const mib of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-bench-corpus-'));
  try {
    const file = path.join(dir, `kjv-${mib}.txt`);
    const db = path.join(dir, 'bench.db');
    writeBigCorpus(file, mib);
    const chars = mib * 2 ** 20; // the King James text is ASCII: one character per byte
    const imported = await runCliMeasured(['corpus', 'add', file, '--name', 'big', '--db', db]);
    check(`Importing ${mib} MiB`, imported);
    const trained = await runCliMeasured([
      'train', '--corpus', 'big', '--steps', '20', '--hidden', '32', '--batch', '32', '--val', '0', '--db', db,
    ]);
    check(`Training on ${mib} MiB`, trained);
    const perChar = (bytes: number) => (bytes / chars).toFixed(2).padStart(6);
    console.log(
      `${String(mib).padStart(4)} MiB  | ${secs(imported.wallMs)} ${mb(imported.peakBytes)} | ` +
        `${secs(trained.wallMs)} ${mb(trained.hostPeakBytes)} ${mb(trained.enginePeakBytes)} | ` +
        `      ${perChar(imported.peakBytes)} ${perChar(trained.hostPeakBytes)} ${perChar(trained.enginePeakBytes)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
