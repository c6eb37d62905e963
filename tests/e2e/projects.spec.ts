/**
 * Scaling out in the UI, against an `rnnwb serve` of its own whose PyTorch engine runs Debian's
 * /usr/bin/python3: New run's Engine section offers processes, nodes, rendezvous and prefix and refuses
 * a bad rendezvous inline; a 2-process run says so on its card; "Export as project…" writes the folder,
 * which trains on with the README's own line, and "Import a run folder" brings its steps back, once;
 * a project folder dropped on the Training view does too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { openPyTorchWorkbench, type PyTorchWorkbenchPage, type Server } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

/** A shared, loaded machine may take minutes for what takes seconds on an idle one. */
const RUN_TIMEOUT = 300_000;

let workbench: PyTorchWorkbenchPage;
let server: Server;
let page: Page;
let api: WsApi;

test.beforeAll(async ({ browser }) => {
  workbench = await openPyTorchWorkbench(browser, 'rnnwb-projects-e2e-');
  ({ server, api, page } = workbench);
});

test.afterAll(async () => workbench?.close());

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

/**
 * Playwright cannot drop a real folder (it makes no FileSystemDirectoryEntry), so the drop event is
 * dispatched in the page with a dataTransfer whose one item answers a fake entry tree of the folder's
 * files, in batches as Chromium's readEntries does; the view's real handler reads it and sends it.
 */
async function dropFolder(target: string, name: string, files: { path: string; base64: string }[], asFile = false): Promise<void> {
  await page.getByTestId(target).first().evaluate((element, { name, files, asFile }) => {
    type Node = { name: string; isFile: boolean; isDirectory: boolean; file?: (ok: (b: Blob) => void) => void; createReader?: () => unknown; children?: Node[] };
    const directory = (dirName: string): Node => ({ name: dirName, isFile: false, isDirectory: true, children: [] });
    const root = directory(name);
    for (const { path, base64 } of files) {
      const parts = path.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let next = dir.children!.find((c) => c.name === part);
        if (!next) dir.children!.push((next = directory(part)));
        dir = next;
      }
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      dir.children!.push({ name: parts.at(-1)!, isFile: true, isDirectory: false, file: (ok) => setTimeout(() => ok(new Blob([bytes])), 0) });
    }
    const withReaders = (node: Node): Node => {
      if (node.isDirectory) {
        node.children!.forEach(withReaders);
        node.createReader = () => {
          let next = 0;
          return { readEntries: (ok: (entries: Node[]) => void) => { const batch = node.children!.slice(next, next + 3); next += batch.length; setTimeout(() => ok(batch), 0); } };
        };
      }
      return node;
    };
    const entry = asFile ? { name, isFile: true, isDirectory: false } : withReaders(root);
    const event = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', { value: { types: ['Files'], items: [{ kind: 'file', webkitGetAsEntry: () => entry }] } });
    element.dispatchEvent(event);
  }, { name, files, asFile });
}

const filesOf = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[])
  .filter((name) => fs.statSync(path.join(dir, name)).isFile())
  .map((name) => ({ path: name.split(path.sep).join('/'), base64: fs.readFileSync(path.join(dir, name)).toString('base64') }));

test('A project folder dropped on the Training view comes back as its run, once; a folder without job.json or a file gets a sentence', async () => {
  const { id } = (await api.listRuns()).find((r) => r.name === 'ddp-two')!;
  const dir = path.join(workbench.dir, 'ddp-two-dropped');
  await api.exportProject({ runId: id, dir, steps: 40 });
  const trained = await runReadmeLine('python3 trainer/main.py --project .', dir);
  expect(trained.code, trained.stderr).toBe(0);
  const files = filesOf(dir);
  const before = await api.runMetrics(id);
  const importer = page.getByTestId('import-run');

  // Dropped on a run card: the Training view takes it.
  await dropFolder('run-card', 'ddp-two-dropped', files);
  await expect(importer.getByTestId('import-run-report')).toContainText('Imported into "ddp-two": 10 steps of metrics', { timeout: 60_000 });
  await expect(importer.getByTestId('import-run-progress')).toHaveCount(0);
  expect((await api.runMetrics(id)).length).toBe(before.length + 10);
  const card = page.getByTestId('run-card').filter({ hasText: 'ddp-two' });
  await expect(card.locator('.progress-line .mono').first()).toContainText('40 /', { timeout: 30_000 });

  // Dropped on the Import panel, again: nothing twice.
  await dropFolder('import-run', 'ddp-two-dropped', files);
  await expect(importer.getByTestId('import-run-report')).toContainText('Imported into "ddp-two": 0 steps of metrics, 0 checkpoints', { timeout: 60_000 });
  expect((await api.runMetrics(id)).length).toBe(before.length + 10);

  await dropFolder('import-run', 'notes', files.filter((f) => f.path !== 'job.json'));
  await expect(importer.getByTestId('import-run-error')).toHaveText('"notes" has no job.json at its top, so it is not an exported project; drop the folder that holds job.json.');
  await dropFolder('training-view', 'job.json', [], true);
  await expect(importer.getByTestId('import-run-error')).toHaveText('Drop one folder (the exported project\'s folder), not files or several things.');
  expect((await api.runMetrics(id)).length).toBe(before.length + 10);
});
