/**
 * The `rnnwb` command runs from its esbuild bundle (dist/cli/rnnwb.js, bin/bundle.js): it starts fast, its
 * engine processes run the bundled worker, a source newer than the build is rebuilt before the start (and
 * its new code runs), RNNWB_FROM_SOURCE=1 runs the sources, and a build that cannot be written falls back
 * to the sources in one line. The rebuild cases work on a copy of the program (bin/, main/, engine/), so
 * they never make the repository's own bundle stale under the other tests.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHelp, medians, nodeAlone, pytorchReferenceRun, referenceRun } from '../../bench/startup-runs.ts';
import { engineOf, finished, repoRoot, seedCorpus, startCli, tempDir } from './cli-helpers.ts';

const DESCRIPTION = 'Recurrent Workbench: train and study';

/** A copy of the program in a temporary folder, sharing the repository's node_modules. */
function copyProgram(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-bundle-'));
  for (const part of ['bin', 'main', 'engine', 'package.json']) cpSync(path.join(repoRoot, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function runIn(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'rnnwb.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
}

const stampOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'dist', 'bundle-stamp.json'), 'utf8')) as { startedAt: number };

/** Replaces `from` with `to` in a file of the copy (which also makes its modification time new). */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe('the bundled CLI', () => {
  let copy: { dir: string; remove(): void };
  beforeAll(() => {
    copy = copyProgram();
  });
  afterAll(() => copy.remove());

  it('builds itself on first use and then runs the bundle, not the sources', () => {
    const first = runIn(copy.dir, ['--help']);
    expect(first.status).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(DESCRIPTION);
    const built = stampOf(copy.dir).startedAt;
    // Mark the bundle itself: if the next start ran the sources (or rebuilt), the mark would not show.
    edit(path.join(copy.dir, 'dist', 'cli', 'rnnwb.js'), DESCRIPTION, 'Bundle-marked Workbench: train and study');
    const second = runIn(copy.dir, ['--help']);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('Bundle-marked Workbench');
    expect(stampOf(copy.dir).startedAt).toBe(built);
  });

  it('rebuilds before starting when a source is newer than the build, and runs the new code', () => {
    const before = stampOf(copy.dir).startedAt;
    edit(path.join(copy.dir, 'main', 'cli', 'index.ts'), DESCRIPTION, 'Edited Workbench: train and study');
    const result = runIn(copy.dir, ['--help']);
    expect(result.status).toBe(0);
    // Not a terminal: the rebuild says nothing, so scripts and tests see the command's own output only.
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Edited Workbench');
    expect(stampOf(copy.dir).startedAt).toBeGreaterThan(before);
  });

  it('runs the sources through tsx with RNNWB_FROM_SOURCE=1, leaving the bundle alone', () => {
    const before = stampOf(copy.dir).startedAt;
    edit(path.join(copy.dir, 'main', 'cli', 'index.ts'), 'Edited Workbench', 'Source Workbench');
    const result = runIn(copy.dir, ['--help'], { RNNWB_FROM_SOURCE: '1' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Source Workbench');
    expect(stampOf(copy.dir).startedAt).toBe(before);
  });

  it('falls back to the sources, in one line, when the bundle cannot be built', () => {
    const bare = copyProgram();
    try {
      // dist/ is a file here, so nothing can be written under it.
      writeFileSync(path.join(bare.dir, 'dist'), 'not a folder\n');
      const result = runIn(bare.dir, ['--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(DESCRIPTION);
      expect(result.stderr).toMatch(/^rnnwb: could not build or load the bundle \([^\n]+\); running from sources\.\n$/);
    } finally {
      bare.remove();
    }
  });
});

describe('the bundled CLI in the repository', () => {
  it('trains with the bundled engine worker (plain Node, no tsx)', async () => {
    const tmp = tempDir('rnnwb-bundle-engine-');
    try {
      const cli = startCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '50', '--db', tmp.db]);
      const done = finished(cli);
      const engine = await engineOf(cli.pid!);
      const commandLine = readFileSync(`/proc/${engine}/cmdline`, 'utf8').split('\0');
      expect(commandLine).toContain(path.join(repoRoot, 'dist', 'engine', 'worker.js'));
      expect(commandLine.join(' ')).not.toContain('tsx');
      expect((await done).code).toBe(0);
    } finally {
      tmp.remove();
    }
  });

  // Generous bounds for a loaded CI machine; bench/startup.ts measures the targets (0.15 s; 0.5×).
  it('starts `--help` in under 0.6 s (median of 5 whole processes)', () => {
    const figures = medians([nodeAlone, cliHelp], 5);
    expect(figures.get(cliHelp.name)!).toBeLessThan(0.6);
  });

  // The target is 0.5× (bench:startup); on a loaded 2-core runner both sides slow down unevenly (ours
  // runs two processes and two threads), so the test holds 2× on medians of 3: a regression still fails it.
  it('runs the reference training in at most twice the wall time of the PyTorch reference script', () => {
    const figures = medians([referenceRun, pytorchReferenceRun], 3);
    expect(figures.get(referenceRun.name)! / figures.get(pytorchReferenceRun.name)!).toBeLessThan(2);
  });
});
