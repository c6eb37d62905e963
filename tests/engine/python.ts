/** Running a Python script under Debian's python3 with PyTorch, for the tests that compare with torch. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const INSTALL = 'These tests need /usr/bin/python3 with PyTorch: apt-get install -y python3-torch';

/** Runs `script` with `args` and `input` on stdin; returns stdout. Fails (never skips) when python or torch is missing. */
export function runPython(script: string, options: { args?: string[]; input?: string } = {}): string {
  const run = spawnSync(PYTHON, ['-c', script, ...(options.args ?? [])], { input: options.input, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.error) throw new Error(`${INSTALL} (${run.error.message}).`);
  if (run.status !== 0) {
    if (/No module named '?torch/.test(run.stderr)) throw new Error(`${INSTALL} (python3 has no torch module).`);
    throw new Error(`python3 failed:\n${run.stderr}`);
  }
  return run.stdout;
}
