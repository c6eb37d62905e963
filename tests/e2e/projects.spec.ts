/**
 * Scaling out in the UI, against an `rnnwb serve` of its own whose PyTorch engine runs Debian's
 * /usr/bin/python3: New run's Engine section offers processes, nodes, rendezvous and prefix and refuses
 * a bad rendezvous inline; a 2-process run says so on its card; "Export as project…" writes the folder,
 * which trains on with the README's own line, and "Import a run folder" brings its steps back, once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { freshWorkbench, seedCorpusPath, type FreshWorkbench, type Server } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

/** A shared, loaded machine may take minutes for what takes seconds on an idle one. */
const RUN_TIMEOUT = 300_000;

let workbench: FreshWorkbench;
let server: Server;
let page: Page;
let api: WsApi;

test.beforeAll(async ({ browser }) => {
  workbench = await freshWorkbench('rnnwb-projects-e2e-', { RNNWB_PYTHON: '/usr/bin/python3' });
  ({ server, api } = workbench);
  await api.addCorpus({ name: 'hello', text: fs.readFileSync(seedCorpusPath, 'utf8') });
  page = await browser.newPage({ locale: 'en-US' });
  await page.goto(server.url);
});

test.afterAll(async () => {
  await page?.close();
  await workbench?.close();
});

/** Runs `command` (the README's line, with /usr/bin/python3) in `cwd` and resolves with its exit code. */
function runReadmeLine(command: string, cwd: string): Promise<{ code: number | null; stderr: string }> {
  const [program, ...args] = command.split(' ');
  expect(program).toBe('python3');
  const child = spawn('/usr/bin/python3', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

test('New run: PyTorch shows processes, nodes, rendezvous and prefix; a bad rendezvous is refused inline; 2 processes train and the card says so', async () => {
  await page.getByTestId('nav-new-run').click();
  await page.getByTestId('run-name').fill('ddp-two');
  await page.getByTestId('length-steps').check();
  await page.getByTestId('field-steps').fill('20');
  await page.getByTestId('field-hidden').fill('16');
  await page.getByTestId('field-embed').fill('8');
  await expect(page.getByTestId('field-processes')).toHaveCount(0); // the built-in engine has none of them
  await page.getByTestId('field-engine').selectOption('pytorch');
  await page.getByTestId('field-device').selectOption('cpu');
  for (const field of ['processes', 'nodes', 'via']) await expect(page.getByTestId(`field-${field}`)).toBeVisible();

  // The rendezvous is asked for once there are several nodes.
  await page.getByTestId('field-nodes').fill('2');
  await page.getByTestId('field-rdzv').fill('nohost');
  await expect(page.getByTestId('error-rdzv')).toContainText('HOST:PORT');
  await expect(page.getByTestId('run-submit')).toBeDisabled();
  await page.getByTestId('field-rdzv').fill('');
  await page.getByTestId('field-nodes').fill('1');
  await expect(page.getByTestId('field-rdzv')).toHaveCount(0);
  await expect(page.getByTestId('error-rdzv')).toHaveCount(0);

  await page.getByTestId('field-processes').fill('2');
  await expect(page.getByTestId('run-submit')).toBeEnabled();
  await page.getByTestId('run-submit').click();
  const card = page.getByTestId('run-card').filter({ hasText: 'ddp-two' });
  await expect(card).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT });
  await expect(card.getByTestId('run-engine')).toContainText('PyTorch · CPU · 2 process(es) on 1 node(s)', { timeout: 30_000 });
  const run = (await api.listRuns()).find((r) => r.name === 'ddp-two')!;
  expect(run).toMatchObject({ step: 20, hyper: { engine: 'pytorch', processes: 2 } });
});

test('"Export as project…" writes the folder; it trains on with the README\'s line; "Import a run folder" brings the steps back once', async () => {
  const dir = path.join(workbench.dir, 'ddp-two-project');
  const { id } = (await api.listRuns()).find((r) => r.name === 'ddp-two')!;
  const card = page.getByTestId('run-card').filter({ hasText: 'ddp-two' });
  await card.getByTestId('run-export-project').click();
  const dialog = page.getByTestId('export-project-dialog');
  await expect(dialog.getByTestId('export-project-dir')).toBeFocused();

  // A relative path is refused with a sentence, and nothing is written.
  await page.keyboard.type('relative/folder');
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('export-project-error')).toContainText('"relative/folder" is not a full path');
  // The run is at its planned end: the project needs a later one.
  await dialog.getByTestId('export-project-dir').fill(dir);
  await dialog.getByTestId('export-project-dir').press('Enter');
  await expect(dialog.getByTestId('export-project-error')).toContainText('is at step 20 already');
  await dialog.getByTestId('export-project-steps').fill('30');
  await dialog.getByTestId('export-project-dir').press('Enter');
  await expect(dialog.getByTestId('export-project-result')).toContainText(`to ${dir} (steps 21–30)`, { timeout: 60_000 });
  expect(fs.existsSync(path.join(dir, 'job.json'))).toBe(true);
  await expect(dialog.getByTestId('export-project-readme')).toContainText('Run "ddp-two": steps 21–30');
  const command = (await dialog.getByTestId('export-project-command').textContent())!.replace(/^cd .* && /, '');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // The README's line for one process (the one the dialog shows too), waited on to its end.
  const readmeLine = fs.readFileSync(path.join(dir, 'README.md'), 'utf8').match(/One GPU \(or the CPU\):\n\n {4}(.+)\n/)![1];
  expect(readmeLine).toBe(command);
  const trained = await runReadmeLine(readmeLine, dir);
  expect(trained.code, trained.stderr).toBe(0);

  // Imported by path through the Training view's field.
  const before = await api.runMetrics(id);
  const importer = page.getByTestId('import-run');
  await importer.getByTestId('import-run-dir').fill(dir);
  await importer.getByTestId('import-run-dir').press('Enter');
  await expect(importer.getByTestId('import-run-report')).toContainText('Imported into "ddp-two": 10 steps of metrics', { timeout: 60_000 });
  await expect(importer.getByTestId('import-run-report')).toContainText('The run ended: done.');
  await expect(card.locator('.progress-line .mono').first()).toContainText('30 /', { timeout: 30_000 });
  const after = await api.runMetrics(id);
  expect(after.length).toBe(before.length + 10);
  expect(after.at(-1)!.step).toBe(30);
  await expect(card.getByTestId('loss-chart')).toHaveAttribute('data-points', String(after.length)); // the curve reloaded

  // Again: nothing twice.
  await importer.getByTestId('import-run-submit').click();
  await expect(importer.getByTestId('import-run-report')).toContainText('Imported into "ddp-two": 0 steps of metrics, 0 checkpoints', { timeout: 60_000 });
  expect((await api.runMetrics(id)).length).toBe(after.length);

  // Not a project folder: a sentence.
  await importer.getByTestId('import-run-dir').fill(workbench.dir);
  await importer.getByTestId('import-run-submit').click();
  await expect(importer.getByTestId('import-run-error')).toContainText('is not an exported project');
});
