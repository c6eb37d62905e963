/**
 * Faults as the app shows them, each against its own `rnnwb serve` on a fresh database:
 * - deleting a run another workbench process (a real `rnnwb train`) is training: the host refuses with a
 *   sentence naming that process, the dialog offers "Stop it and delete", and with it the trainer stops
 *   by itself and the run goes;
 * - a disk that really fills up (a 2 MB tmpfs) while two runs train: the run whose write failed shows
 *   "The disk is full: …" on its card, in the error colour; the other is paused, with its reason.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test, expect, type Page } from '@playwright/test';
import { finished, jsonLines, seedCorpus, startCli, tempDir, type CliResult } from '../main/cli-helpers.ts';
import { connectApi, startServer, type Server } from './helpers.ts';

/** Keyboard only: Tab until the element matching this CSS selector has the focus. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let presses = 0; presses < 400; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached the element ${selector}.`);
}

/** A long `rnnwb train --json` on DB, once it has reported progress. */
async function startTrainer(db: string, name: string): Promise<{ child: ChildProcess; result: Promise<CliResult> }> {
  const child = startCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--steps', '1000000', '--name', name, '--json', '--db', db]);
  const result = finished(child);
  await new Promise<void>((resolve, reject) => {
    let progress = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"type":"progress"') && ++progress === 3) resolve();
    });
    void result.then((r) => reject(new Error(`the trainer exited before training: ${r.stderr}`)));
  });
  return { child, result };
}

test('a run another process trains: Delete is refused naming it, "Stop it and delete" stops it there and deletes it', async ({ browser }) => {
  test.setTimeout(300_000);
  const tmp = tempDir('rnnwb-e2e-elsewhere-');
  let server: Server | undefined;
  let trainer: ChildProcess | undefined;
  const page = await browser.newPage({ locale: 'en-US' });
  try {
    server = await startServer(tmp.db);
    const started = await startTrainer(tmp.db, 'elsewhere');
    trainer = started.child;
    const api = connectApi(server);
    const run = (await api.listRuns()).find((r) => r.name === 'elsewhere')!;
    api.close();
    expect(run.status).toBe('running');

    await page.goto(server.url);
    await page.getByTestId('nav-storage').click();
    const row = `[data-testid=storage-run][data-run-id="${run.id}"]`;
    await expect(page.locator(row)).toHaveCount(1);
    // Keyboard only: Delete, then the dialog's confirm button.
    await tabTo(page, `${row} [data-testid=storage-run-delete]`);
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('confirm-dialog');
    await expect(dialog).toContainText('elsewhere');
    await tabTo(page, '[data-testid=confirm-ok]');
    await page.keyboard.press('Enter');

    // Refused, in words for the app (no CLI flag), naming the trainer; the run stays.
    await expect(dialog.getByTestId('delete-refusal')).toHaveText(
      `Run "elsewhere" is training in another workbench process (pid ${trainer.pid}, host ${hostname()}); stop it there, or delete it with force to stop it first.`,
    );
    const stopAndDelete = dialog.getByTestId('confirm-ok');
    await expect(stopAndDelete).toHaveText('Stop it and delete');
    await expect(stopAndDelete).toBeFocused();
    expect(trainer.exitCode).toBeNull();

    // The wait for the other process is shown while it lasts (seen by an observer, however short it is).
    await page.evaluate(() => {
      const w = window as unknown as { sawStopping: boolean };
      w.sawStopping = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=delete-stopping]')) w.sawStopping = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.keyboard.press('Enter');
    await expect(page.locator(row)).toHaveCount(0, { timeout: 60_000 });
    await expect(dialog).toHaveCount(0);
    await expect(page.getByTestId('storage-error')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { sawStopping: boolean }).sawStopping)).toBe(true);

    // The trainer stopped by itself, at the request, with no stack trace.
    const result = await started.result;
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(/^\s+at |Error:/m);
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({
      type: 'done', status: 'stopped', reason: 'Stopped at the request of another workbench process.',
    });
    const after = connectApi(server);
    expect((await after.listRuns()).map((r) => r.name)).not.toContain('elsewhere');
    after.close();
  } finally {
    if (trainer && trainer.exitCode === null && trainer.signalCode === null) trainer.kill('SIGKILL');
    await page.close();
    await server?.stop();
    tmp.remove();
  }
});

test('a full disk: the run whose write failed says "The disk is full" on its card; the other run is paused with its reason', async ({ browser }) => {
  test.setTimeout(300_000);
  const tmp = tempDir('rnnwb-e2e-disk-full-');
  const mount = path.join(tmp.dir, 'small-disk');
  fs.mkdirSync(mount);
  // Needs root; without it the test fails (a skipped test would hide the promise it holds).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  let server: Server | undefined;
  const page = await browser.newPage({ locale: 'en-US' });
  try {
    server = await startServer(path.join(mount, 'w.db'));
    const api = connectApi(server);
    await api.setConcurrency(2);
    const corpus = await api.addCorpus({ name: 'seed', bytes: new Uint8Array(fs.readFileSync(seedCorpus)), source: seedCorpus });
    // A small run that trains on, then one whose checkpoints (hidden 128: about 1 MB each) fill the disk.
    const waits = await api.createRun({ corpusId: corpus.id, name: 'waits', hyper: { hidden: 8, steps: 1_000_000, checkpointEvery: 0 } });
    await expect.poll(async () => (await api.getRun(waits.id)).step, { timeout: 120_000 }).toBeGreaterThan(0);
    const fills = await api.createRun({ corpusId: corpus.id, name: 'fills', hyper: { hidden: 128, steps: 400, checkpointEvery: 10 } });

    await page.goto(server.url);
    await page.getByTestId('nav-training').click();
    const card = (id: number) => page.locator(`[data-testid=run-card][data-run-id="${id}"]`);
    // Whichever write the disk refused first: that run fails, the other is paused, not failed too.
    await expect.poll(async () => (await api.listRuns()).map((r) => r.status).sort(), { timeout: 120_000 }).toEqual(['failed', 'paused']);
    const runs = await api.listRuns();
    api.close();
    const failed = runs.find((r) => r.status === 'failed')!;
    const paused = runs.find((r) => r.status === 'paused')!;
    expect([failed.id, paused.id].sort()).toEqual([waits.id, fills.id].sort());

    await expect(card(failed.id)).toHaveAttribute('data-status', 'failed');
    const failure = card(failed.id).getByTestId('run-reason');
    await expect(failure).toBeVisible();
    await expect(failure).toHaveText(/^The disk is full: .+ could not be written to ".*w\.db"\. Free some space/);
    await expect(failure).toHaveClass(/\berror\b/);
    await expect(card(paused.id)).toHaveAttribute('data-status', 'paused');
    await expect(card(paused.id).getByTestId('run-reason')).toHaveText(
      new RegExp(`^The disk is full: run "${failed.name}" could not write to ".*w\\.db", so this run was paused\\.`),
    );
  } finally {
    await page.close();
    await server?.stop();
    try {
      execFileSync('umount', [mount]);
    } finally {
      tmp.remove();
    }
  }
});
