/**
 * The PyTorch engine under torchrun (engine/pytorch/launch.py, team.py): data parallel on this
 * machine's CPU with gloo is the same run as one process, on one node or two; a rank killed mid-run
 * ends the run with a sentence, and its last checkpoint resumes it. Real processes throughout.
 * Fails, never skips, when /usr/bin/python3 has no PyTorch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { PYTORCH_ENGINE_SCRIPT, torchrunArgs } from '../../main/runs/pytorch-launcher.ts';
import { PYTHON } from '../engine/python.ts';
import { SEED_TEXT, expectSameCurve, requireTorch, runPytorch, smallHyper, utf8 } from '../engine/pytorch-runs.ts';
import { runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const tmp = tempDir('rnnwb-ddp-');
beforeAll(() => {
  requireTorch();
  process.env.RNNWB_PYTHON = PYTHON; // the CLI children inherit it
});
afterAll(() => tmp.remove());

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** 20 steps, a batch of 15 (not a multiple of 2: the ranks' shares differ), evaluation on the way. */
const job = (over = {}) => ({ hyper: smallHyper({ steps: 20, batch: 15, evalEvery: 5, threads: 1, ...over }), corpusBytes: utf8(SEED_TEXT) });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

describe('the PyTorch engine with DDP under torchrun (CPU, gloo)', () => {
  it('2 processes train the same run as 1, within 1e-5 relative over 20 steps', async () => {
    const one = await runPytorch(job());
    const two = await runPytorch(job(), { processes: 2 });
    expect(one.exit.reason, one.exit.message).toBe('done');
    expect(two.exit.reason, two.exit.message).toBe('done');
    expect(one.ready).toMatchObject({ worldSize: 1, nodes: 1 });
    expect(two.ready).toMatchObject({ worldSize: 2, nodes: 1 });
    expect(two.progress).toHaveLength(20);
    expectSameCurve(one.progress, two.progress, 1e-5);
    const val = (run: typeof one) => run.progress.filter((p) => p.valLoss !== null).map((p) => p.valLoss!);
    expect(val(two)).toHaveLength(4);
    val(two).forEach((v, i) => expect(Math.abs(v - val(one)[i]) / v).toBeLessThan(1e-5));
    expect(two.checkpoints.at(-1)!.kind).toBe('final');
    expect(decodeCheckpoint(two.checkpoints.at(-1)!.bytes).step).toBe(20);
  }, 120_000);

  it('2 nodes (two launches meeting on 127.0.0.1) train the same run as 1 process', async () => {
    const rdzv = `127.0.0.1:${await freePort()}`;
    const one = await runPytorch(job());
    const two = await runPytorch(job(), {
      nodes: 2,
      rdzv,
      during: () => {
        // The second node: what a user runs on the other machine (the README's line), here on this one.
        const node1 = spawn(PYTHON, [...torchrunArgs(1, 2, rdzv, 1), PYTORCH_ENGINE_SCRIPT], { stdio: ['ignore', 'ignore', 'pipe'] });
        started.push(node1);
      },
    });
    expect(two.exit.reason, two.exit.message).toBe('done');
    expect(two.ready).toMatchObject({ worldSize: 2, nodes: 2 });
    expectSameCurve(one.progress, two.progress, 1e-5);
  }, 120_000);

  it('kill -9 of one rank: the run ends with a sentence, its last checkpoint resumes it to the end', async () => {
    const long = job({ steps: 100_000, checkpointEvery: 10, valFraction: 0 });
    let victim = 0;
    const run = await runPytorch(long, {
      processes: 2,
      during: (engine, out) => {
        engine.onCheckpoint((c) => {
          if (c.step !== 20 || victim) return;
          victim = childrenOf(engine.pid!).find((pid) => pid !== out.ready!.pid)!;
          process.kill(victim, 'SIGKILL');
        });
      },
    });
    expect(victim).toBeGreaterThan(0);
    expect(['crashed', 'error']).toContain(run.exit.reason);
    expect(run.exit.message).toMatch(/^Another of this run's 2 processes stopped answering at step 2\d \(.*\): the run is interrupted; resume it from its last checkpoint\.$/);
    const last = run.checkpoints.at(-1)!;
    const saved = decodeCheckpoint(last.bytes);
    expect(saved.step).toBeGreaterThanOrEqual(20);

    const resumed = await runPytorch({ ...long, targetSteps: saved.step + 10, resumeFrom: last.bytes }, { processes: 2 });
    expect(resumed.exit.reason, resumed.exit.message).toBe('done');
    expect(resumed.progress[0].step).toBe(saved.step + 1);
    expect(resumed.done!.step).toBe(saved.step + 10);
  }, 120_000);

  it('a rendezvous that never completes: a time-out that names the missing node', async () => {
    const rdzv = `127.0.0.1:${await freePort()}`;
    const run = await runPytorch(job(), { nodes: 2, rdzv, rendezvousTimeoutS: 3 });
    expect(run.exit.reason).toBe('crashed');
    expect(run.exit.message).toBe(`The engine process was killed by signal SIGKILL. Its last words: The rendezvous at ${rdzv} timed out after 3 s: node 1 of 2 never joined. Start it with the same launch and --node_rank=1 (and so on), or check that it can reach node 0.`);
  }, 60_000);

  it('one rank crashing: the run ends with the last lines of its traceback', async () => {
    // The engine as it is, with rank 1 failing in its 5th step (a stand-in for any bug that hits one rank).
    const script = path.join(tmp.dir, 'crash_rank_1.py');
    writeFileSync(script, [
      'import os, runpy, sys',
      `sys.path.insert(0, ${JSON.stringify(path.dirname(PYTORCH_ENGINE_SCRIPT))})`,
      'if os.environ.get("RANK") == "1":',
      '    import team',
      '    original, calls = team.Team.sum, []',
      '    def failing_sum(self, values):',
      '        calls.append(1)',
      '        if len(calls) == 5:',
      '            raise ValueError("rank 1 cannot add up")',
      '        return original(self, values)',
      '    team.Team.sum = failing_sum',
      `runpy.run_path(${JSON.stringify(PYTORCH_ENGINE_SCRIPT)}, run_name="__main__")`,
      '',
    ].join('\n'));
    const run = await runPytorch(job(), { processes: 2, script });
    expect(run.exit.reason, run.exit.message).toBe('error');
    expect(run.exit.message, run.exit.message).toMatch(/^Process 1 of the run's 2 \(node 0\) crashed at step 4; its traceback ends: File ".*crash_rank_1\.py", line 9, in failing_sum \| raise ValueError\("rank 1 cannot add up"\) \| ValueError: rank 1 cannot add up\. The run is interrupted; resume it from its last checkpoint\.$/);
  }, 60_000);
});

describe('rnnwb train --procs / --nodes / --rdzv / --via', () => {
  it('trains with torchrun, and `rnnwb show` says the world size, the nodes and the host', async () => {
    const db = ['--db', tmp.db];
    const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '10', '--engine', 'pytorch', '--procs', '2', '--name', 'ddp', ...db]);
    expect(trained.stdout + trained.stderr).toMatch(/Run 1 "ddp": done at step 10\/10/);
    const shown = await runCli(['show', 'ddp', ...db]);
    expect(shown.stdout).toContain(`engine: PyTorch · cpu from step 0 (torch `);
    expect(shown.stdout).toContain(`, 2 processes on 1 node, rank 0 on ${os.hostname()})`);
    expect(shown.stdout).toMatch(/processes=2 nodes=1 rdzv= via=/);
  }, 120_000);

  it('refuses scale-out settings that cannot work, each in a sentence', async () => {
    const db = ['--db', tmp.db];
    const builtin = await runCli(['train', '--corpus', seedCorpus, '--steps', '5', '--procs', '2', ...db]);
    expect(builtin.stderr.trim()).toBe('rnnwb: Processes per node other than 1 needs Engine pytorch (got 2).');
    const noRdzv = await runCli(['train', '--corpus', seedCorpus, '--steps', '5', '--engine', 'pytorch', '--nodes', '2', ...db]);
    expect(noRdzv.stderr.trim()).toBe('rnnwb: Rendezvous must be HOST:PORT when the run has more than one node (nodes 2): the other nodes meet node 0 there.');
    const badRdzv = await runCli(['train', '--corpus', seedCorpus, '--steps', '5', '--engine', 'pytorch', '--nodes', '2', '--rdzv', 'gpu box', ...db]);
    expect(badRdzv.stderr.trim()).toBe('rnnwb: Rendezvous must be empty or HOST:PORT (where node 0 waits for the other nodes), at most 255 characters (got "gpu box").');
    expect([builtin.code, noRdzv.code, badRdzv.code]).toEqual([2, 2, 2]);
  }, 60_000);
});
