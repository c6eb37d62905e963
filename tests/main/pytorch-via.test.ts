/**
 * The PyTorch engine behind a launch prefix (`via`), across a real process boundary: `ssh` to an
 * sshd this test starts on 127.0.0.1 (Debian's openssh-server, installed by .ci/run), with a host key
 * and a user key made in a temp folder. The job, the corpus and the checkpoints travel over ssh's
 * stdio; a prefix that fails and a connection that drops are sentences, and the dropped run resumes.
 * Needs root (sshd) and fails, never skips, without PyTorch or sshd.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import { SEED_TEXT, expectSameCurve, requireTorch, runPytorch, smallHyper, utf8 } from '../engine/pytorch-runs.ts';

const SSHD = '/usr/sbin/sshd';
let dir = '';
let sshd: ChildProcess | null = null;
let port = 0;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

function keygen(file: string): void {
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
}

/** The prefix a user would type, with this test's key and port (and no known_hosts to trust). */
const via = (key = 'user_key', to = `root@127.0.0.1`, at = port) =>
  `ssh -i ${path.join(dir, key)} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -p ${at} ${to}`;

beforeAll(async () => {
  requireTorch();
  if (!existsSync(SSHD)) throw new Error(`These tests need ${SSHD}: apt-get install -y openssh-server (.ci/run installs it).`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'rnnwb-ssh-'));
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'user_key'));
  keygen(path.join(dir, 'stranger_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')));
  port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(config, [
    `ListenAddress 127.0.0.1`, `HostKey ${path.join(dir, 'host_key')}`, `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password',
    'UsePAM no', `PidFile ${path.join(dir, 'sshd.pid')}`, 'LogLevel INFO', '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
  sshd = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`sshd did not start within 20 s: ${said}`)), 20_000);
    sshd!.stderr!.on('data', (chunk: Buffer) => {
      said += String(chunk);
      if (/Server listening on/.test(said)) {
        clearTimeout(deadline);
        resolve();
      }
    });
    sshd!.on('exit', (code) => reject(new Error(`sshd exited with code ${code}: ${said}`)));
  });
});

afterAll(() => {
  sshd?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const job = (over = {}) => ({ hyper: smallHyper({ steps: 20, batch: 15, evalEvery: 5, threads: 1, ...over }), corpusBytes: utf8(SEED_TEXT) });

describe('the PyTorch engine through `via ssh`', () => {
  it('trains over ssh (torchrun, 2 processes) the same run as here, corpus and checkpoints over the channel', async () => {
    const here = await runPytorch(job());
    const there = await runPytorch(job(), { via: via(), processes: 2 });
    expect(there.exit.reason, there.exit.message).toBe('done');
    expect(there.ready).toMatchObject({ worldSize: 2, nodes: 1, host: os.hostname() });
    expectSameCurve(here.progress, there.progress, 1e-5);
    expect(decodeCheckpoint(there.checkpoints.at(-1)!.bytes).step).toBe(20);
  }, 120_000);

  it('a prefix that fails says why in ssh\'s words: refused, unknown host, permission denied', async () => {
    const refused = await runPytorch(job(), { via: via('user_key', 'root@127.0.0.1', await freePort()) });
    expect(refused.exit.reason).toBe('crashed');
    expect(refused.exit.message).toMatch(/^The engine process exited with code 255 without finishing\. Its last words: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/);
    const unknown = await runPytorch(job(), { via: via('user_key', 'root@no-such-host.invalid') });
    expect(unknown.exit.message).toMatch(/Its last words: ssh: Could not resolve hostname no-such-host\.invalid: .+$/);
    const denied = await runPytorch(job(), { via: via('stranger_key') });
    expect(denied.exit.message).toMatch(/Its last words: root@127\.0\.0\.1: Permission denied \(publickey\)\.$/);
  }, 60_000);

  it('the connection dropping mid-run ends it with a sentence; its last checkpoint resumes it over ssh', async () => {
    const long = job({ steps: 100_000, checkpointEvery: 10, valFraction: 0 });
    const dropped = await runPytorch(long, {
      via: via(),
      during: (engine) => engine.onCheckpoint((c) => c.step === 20 && process.kill(engine.pid!, 'SIGKILL')), // the ssh client: the link goes
    });
    expect(dropped.exit).toMatchObject({ reason: 'crashed', signal: 'SIGKILL' });
    expect(dropped.exit.message).toMatch(/^The engine process was killed by signal SIGKILL at step 2\d\.$/);
    const last = dropped.checkpoints.at(-1)!;
    const step = decodeCheckpoint(last.bytes).step;
    const resumed = await runPytorch({ ...long, targetSteps: step + 10, resumeFrom: last.bytes }, { via: via() });
    expect(resumed.exit.reason, resumed.exit.message).toBe('done');
    expect(resumed.done!.step).toBe(step + 10);
  }, 120_000);
});
