/**
 * Whole-process timings of the `rnnwb` command, shared by bench/startup.ts and its test
 * (tests/main/cli-bundle.test.ts): each command is a fresh process, timed from spawn to exit, several
 * rounds with the commands interleaved (so a busy moment of the machine falls on all of them alike),
 * and reported as medians.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
export const SEED_CORPUS = path.join(SHARED, 'corpora', 'seed-hello-rnn.txt');
const ANCHORS = path.join(SHARED, 'anchors');
const CLI = path.join(REPO_ROOT, 'bin', 'rnnwb.js');
export const PYTHON = process.env.RNNWB_PYTHON || '/usr/bin/python3';

export interface TimedCommand {
  name: string;
  /** Runs the command once; returns its wall time in seconds. Throws when it fails. */
  run(): number;
}

function timed(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): TimedCommand {
  return {
    name,
    run() {
      const start = performance.now();
      const result = spawnSync(command, args, { cwd: REPO_ROOT, env, encoding: 'utf8', maxBuffer: 1 << 24 });
      const seconds = (performance.now() - start) / 1000;
      if (result.error) throw new Error(`${name}: ${result.error.message}`);
      if (result.status !== 0) throw new Error(`${name} exited with ${result.status}: ${result.stderr.trim().split('\n').at(-1)}`);
      return seconds;
    },
  };
}

/** `node -e 0`: what any Node process costs here. */
export const nodeAlone = timed('node -e 0', process.execPath, ['-e', '0']);
/** `rnnwb --help`. */
export const cliHelp = timed('rnnwb --help', process.execPath, [CLI, '--help']);
/** `rnnwb --help` from the TypeScript sources through tsx (RNNWB_FROM_SOURCE=1), for contrast. */
export const cliHelpFromSource = timed('rnnwb --help (sources, tsx)', process.execPath, [CLI, '--help'], { ...process.env, RNNWB_FROM_SOURCE: '1' });

/** `rnnwb train --preset reference` on the seed corpus, into a database of its own each time. */
export const referenceRun: TimedCommand = {
  name: 'rnnwb train --preset reference',
  run() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-startup-'));
    try {
      return timed(this.name, process.execPath, [CLI, 'train', '--corpus', SEED_CORPUS, '--preset', 'reference', '--db', path.join(dir, 'w.db')]).run();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/**
 * The same run in PyTorch (bench/reference_run.py: the `seed` anchor's model and loop from
 * ../shared/anchors), one thread as the anchors' README advises (two threads fight here and are slower).
 */
export const pytorchReferenceRun = timed('PyTorch reference script', PYTHON, [path.join(REPO_ROOT, 'bench', 'reference_run.py'), ANCHORS, SEED_CORPUS],
  { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' });

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Each command's median wall time (seconds) over `rounds` rounds, after one untimed round (disk caches, a stale bundle's rebuild). */
export function medians(commands: TimedCommand[], rounds: number): Map<string, number> {
  for (const command of commands) command.run();
  const times = new Map(commands.map((command) => [command.name, [] as number[]]));
  for (let round = 0; round < rounds; round++) for (const command of commands) times.get(command.name)!.push(command.run());
  return new Map([...times].map(([name, xs]) => [name, median(xs)]));
}
