/**
 * Choosing an engine in the UI, against an `rnnwb serve` of its own whose PyTorch engine runs
 * Debian's /usr/bin/python3 (RNNWB_PYTHON): the Engines panel (Storage) lists the built-in engine and
 * PyTorch with its version, the python setting refuses a path that cannot run PyTorch with a sentence,
 * and New run's Engine section trains a tiny run on PyTorch whose card then says "PyTorch · CPU".
 */
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
  workbench = await openPyTorchWorkbench(browser, 'rnnwb-engines-e2e-');
  ({ server, api, page } = workbench);
});

test.afterAll(async () => workbench?.close());

test('the Engines panel lists the built-in engine and PyTorch with its version; a bad python is refused with a sentence', async () => {
  const torchVersion = (await api.describeEngines()).pytorch.found?.torchVersion;
  expect(torchVersion, 'the server\'s /usr/bin/python3 must have PyTorch (apt-get install python3-torch)').toBeTruthy();

  await page.getByTestId('nav-storage').click();
  const panel = page.getByTestId('engines-panel');
  await expect(panel.getByTestId('engines-builtin')).toContainText(/kernels (typescript|wasm-simd|wasm-relaxed-simd) · up to \d+ threads/, { timeout: 60_000 });
  await expect(panel.getByTestId('engines-torch-version')).toContainText(`PyTorch ${torchVersion}`);
  await expect(panel.getByTestId('engines-torch-version')).toContainText('/usr/bin/python3');

  await panel.getByTestId('engines-python').fill(path.join(workbench.dir, 'no-such-python'));
  await panel.getByTestId('engines-python-save').click();
  await expect(panel.getByTestId('engines-python-error')).toContainText(/^Not saved: There is no .*no-such-python on this computer: install Python 3\.10 or newer with PyTorch/, { timeout: 60_000 });
  expect((await api.describeEngines()).pytorch.pythonFrom).toBe('environment'); // nothing was stored
});

test('New run: the Engine section says inline what cannot train here, and a tiny PyTorch run finishes with "PyTorch · CPU" on its card', async () => {
  const info = await api.describeEngines();
  await page.getByTestId('nav-new-run').click();
  await page.getByTestId('run-name').fill('on-torch');
  await page.getByTestId('length-steps').check();
  await page.getByTestId('field-steps').fill('20');
  await page.getByTestId('field-hidden').fill('16');
  await page.getByTestId('field-embed').fill('8');

  // A device with the built-in engine: the field table's own refusal, beside the field.
  await page.getByTestId('field-device').selectOption('cpu');
  await expect(page.getByTestId('error-device')).toHaveText('Device other than auto needs Engine pytorch (got "cpu").');
  await expect(page.getByTestId('run-submit')).toBeDisabled();

  await page.getByTestId('field-engine').selectOption('pytorch');
  await expect(page.getByTestId('error-device')).toHaveCount(0);
  if (info.pytorch.found && info.pytorch.found.cuda.length === 0) {
    // CUDA asked for on a computer without it: said inline before anything starts.
    await page.getByTestId('field-device').selectOption('cuda');
    await expect(page.getByTestId('engine-problem')).toContainText('CUDA was chosen, but /usr/bin/python3');
    await page.getByTestId('field-device').selectOption('cpu');
  }
  await expect(page.getByTestId('engine-problem')).toHaveCount(0);

  await expect(page.getByTestId('run-submit')).toBeEnabled();
  await page.getByTestId('run-submit').click();
  const card = page.getByTestId('run-card').filter({ hasText: 'on-torch' });
  await expect(card).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT });
  await expect(card.getByTestId('run-engine')).toHaveText(/^trained on PyTorch · CPU\b/, { timeout: 30_000 }); // (where it ran may follow)
  const run = (await api.listRuns()).find((r) => r.name === 'on-torch')!;
  expect(run.hyper).toMatchObject({ engine: 'pytorch', device: 'cpu' });
  expect(run.step).toBe(20);
});

test('the run card continues a PyTorch run on the built-in engine: both segments on the new card', async () => {
  const card = page.getByTestId('run-card').filter({ hasText: 'on-torch' }).first();
  await card.getByTestId('run-continue').click();
  const form = card.getByTestId('continue-form');
  await expect(form.getByTestId('continue-engine')).toHaveValue('pytorch');
  await form.getByTestId('continue-engine').selectOption('builtin');
  await form.getByTestId('continue-steps').fill('30');
  await form.getByTestId('continue-name').fill('back-on-builtin');
  await form.getByTestId('continue-start').click();
  const next = page.getByTestId('run-card').filter({ hasText: 'back-on-builtin' });
  await expect(next).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT });
  await expect(next.getByTestId('run-engine')).toContainText(/^trained on PyTorch · CPU.*, built-in · CPU \(20…\)$/, { timeout: 30_000 });
  const run = (await api.listRuns()).find((r) => r.name === 'back-on-builtin')!;
  expect(run).toMatchObject({ step: 30, hyper: { engine: 'builtin', device: 'auto' } });
});
