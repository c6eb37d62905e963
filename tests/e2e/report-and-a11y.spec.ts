/**
 * The learner's first hour, the rest of it (issue 13), in one page against an `rnnwb serve` of its own:
 * progress in the tab title and an icon that is no 404; the theme switch remembered across a reload;
 * a skip link; deleting a run or a corpus undone from the toast (the rows come back from the trash);
 * axe-core over every view with no serious or critical violation; and every view walked in 简体中文
 * with no visible Latin text but proper names, units, code and user data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test, expect, type Page } from '@playwright/test';
import type { WsApi } from '../../main/transport/ws-client.ts';
import { connectApi, seedCorpusPath, startServer, type Server } from './helpers.ts';

test.describe.configure({ mode: 'serial' });
// A click that cannot happen fails in a minute, not at the 15-minute test timeout.
test.use({ actionTimeout: 60_000 });

const RUN_TIMEOUT = 600_000;
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let dir: string;
let server: Server;
let page: Page;
let api: WsApi;
const notFound: string[] = [];

test.beforeAll(async ({ browser }) => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnwb-report-a11y-'));
  server = await startServer(path.join(dir, 'workbench.db'));
  api = connectApi(server);
  page = await browser.newPage({ locale: 'en-US', colorScheme: 'light' });
  page.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
  await page.goto(server.url);
});

test.afterAll(async () => {
  api?.close();
  await page?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every view the navigation offers (a view added later is walked too). */
async function views(): Promise<string[]> {
  const ids = await page.locator('nav [data-testid^="nav-"]').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-testid')!.slice(4)));
  expect(ids.length).toBeGreaterThanOrEqual(7);
  return ids;
}

async function openView(view: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await expect(page.getByTestId(`view-${view}`)).toBeVisible();
}

async function waitForStatus(runId: number, statuses: string[]): Promise<void> {
  await expect.poll(async () => (await api.getRun(runId)).status, { timeout: RUN_TIMEOUT }).toMatch(new RegExp(`^(${statuses.join('|')})$`));
}

test('the tab title leads with the training runs’ progress; the page has an icon and loads nothing that is missing', async () => {
  await expect(page).toHaveTitle('Recurrent Workbench');
  const corpus = await api.addCorpus({ name: 'seed', text: fs.readFileSync(seedCorpusPath, 'utf8') });
  // No run has trained here yet: New run's duration comes from a calibration of this machine, and says so.
  await page.reload(); // the corpus came through another connection
  await openView('new-run');
  await page.getByTestId('run-corpus').selectOption(String(corpus.id));
  await page.getByTestId('run-preset').selectOption('reference');
  await expect(page.getByTestId('estimate-duration-basis')).toHaveText('estimated duration, from a 1-second calibration of this machine');
  await expect(page.getByTestId('estimate-duration')).toHaveText(/^\d+(s|m \d\ds|h \d\dm)$/);
  const long = await api.createRun({ corpusId: corpus.id, preset: 'reference', name: 'long', hyper: { steps: 1_000_000 } });
  await expect(page).toHaveTitle(/^\d{1,2} % · Recurrent Workbench$/, { timeout: RUN_TIMEOUT });
  // Some progress measured first: its speed is what New run's duration estimate reads later.
  await expect.poll(async () => (await api.getRun(long.id)).charsPerSec ?? 0, { timeout: RUN_TIMEOUT }).toBeGreaterThan(0);
  await api.stopRun(long.id);
  await waitForStatus(long.id, ['stopped']);
  await expect(page).toHaveTitle('Recurrent Workbench');

  await expect(page.locator('link[rel="icon"]')).toHaveCount(1);
  expect(await page.evaluate(async () => {
    const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')!.href;
    return (await fetch(href)).ok;
  })).toBe(true);
  expect(notFound).toEqual([]);
});

test('the theme switch (system, light, dark) is remembered across a reload, and dark really is dark', async () => {
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
  await expect(page.getByTestId('theme-switch')).toHaveValue('system');
  const light = await background();
  await page.getByTestId('theme-switch').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await background()).not.toBe(light);
  await page.reload();
  await expect(page.getByTestId('theme-switch')).toHaveValue('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByTestId('theme-switch').selectOption('system');
  await expect(page.locator('html')).not.toHaveAttribute('data-theme');
  expect(await background()).toBe(light);
  // "System" follows the system at once; an explicit light stays light under a dark system.
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await background()).not.toBe(light);
  await page.getByTestId('theme-switch').selectOption('light');
  expect(await background()).toBe(light);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByTestId('theme-switch').selectOption('system');
});

test('the first Tab stop is a skip link that takes the focus to the view', async () => {
  await page.reload();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('skip-link')).toBeFocused();
  await expect(page.getByTestId('skip-link')).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#content')).toBeFocused();
});

test('deleting a run, then a corpus, is undone from the toast: everything comes back', async () => {
  const run = (await api.listRuns()).find((r) => r.name === 'long')!;
  const metricsBefore = (await api.runMetrics(run.id)).length;
  await openView('training');
  const card = page.locator(`[data-testid="run-card"][data-run-id="${run.id}"]`);
  await card.getByTestId('run-delete').click();
  await expect(page.getByTestId('confirm-dialog')).toContainText('It goes to the trash');
  await page.getByTestId('confirm-ok').click();
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId('undo-toast')).toContainText('Deleted run "long".');
  expect((await api.listTrash()).map((item) => item.name)).toEqual(['long']);
  await page.getByTestId('undo-button').click();
  await expect(page.getByTestId('undo-toast')).toContainText('Restored run "long".');
  await expect(card).toBeVisible();
  expect((await api.runMetrics(run.id)).length).toBe(metricsBefore);
  expect(await api.listTrash()).toEqual([]);

  const spare = await api.addCorpus({ name: 'spare', text: 'a spare corpus, deleted and restored' });
  await openView('corpora');
  await page.getByTestId('corpus-item').filter({ hasText: 'spare' }).click();
  await page.getByTestId('corpus-delete').click();
  await page.getByTestId('confirm-ok').click();
  await expect(page.getByTestId('corpus-item').filter({ hasText: 'spare' })).toHaveCount(0);
  await page.getByTestId('undo-button').click();
  await expect(page.getByTestId('corpus-item').filter({ hasText: 'spare' })).toHaveCount(1);
  expect((await api.getCorpus(spare.id)).name).toBe('spare');

  // Past the toast: Storage's trash restores any deletion until it is emptied.
  await page.getByTestId('corpus-item').filter({ hasText: 'spare' }).click();
  await expect(page.getByTestId('corpus-rename-input')).toHaveValue('spare');
  await page.getByTestId('corpus-delete').click();
  await page.getByTestId('confirm-ok').click();
  await expect(page.getByTestId('corpus-item').filter({ hasText: 'spare' })).toHaveCount(0);
  await openView('storage');
  const item = page.getByTestId('trash-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('corpus "spare"');
  await item.getByTestId('trash-restore').click();
  await expect(page.getByTestId('trash-item')).toHaveCount(0);
  await expect(page.getByTestId('storage-corpus').filter({ hasText: 'spare' })).toHaveCount(1);
  await page.getByTestId('storage-corpus').filter({ hasText: 'spare' }).getByTestId('storage-corpus-delete').click();
  await page.getByTestId('confirm-ok').click();
  await expect(page.getByTestId('trash-item')).toHaveCount(1);
  await page.getByTestId('trash-empty').click();
  await page.getByTestId('confirm-ok').click();
  await expect(page.getByTestId('trash-item')).toHaveCount(0);
  expect(await api.listTrash()).toEqual([]);
  await expect(page.getByTestId('storage-corpus').filter({ hasText: 'spare' })).toHaveCount(0);
});

test('a #view hash (what the desktop menu sets) opens that view', async () => {
  await page.evaluate(() => (location.hash = '#compare'));
  await expect(page.getByTestId('view-compare')).toBeVisible();
  await page.evaluate(() => (location.hash = '#new-run'));
  await expect(page.getByTestId('view-new-run')).toBeVisible();
});

test('New run: the preset reads Custom once edited; Epochs/Steps keeps a valid number; a duration estimate says where it comes from; help is the fields’ description', async () => {
  await openView('new-run');
  const seed = (await api.listCorpora()).find((c) => c.name === 'seed')!;
  await page.getByTestId('run-corpus').selectOption(String(seed.id));
  await page.getByTestId('run-preset').selectOption('reference');
  await expect(page.getByTestId('run-preset')).toHaveValue('reference');
  await page.getByTestId('field-hidden').fill('48');
  await expect(page.getByTestId('run-preset')).toHaveValue('');
  await expect(page.getByTestId('run-preset').locator('option:checked')).toHaveText('Custom');

  // The reference preset counts epochs; switching to steps brings the steps those epochs make.
  await page.getByTestId('length-steps').check();
  await expect(page.getByTestId('field-steps')).toHaveValue(/^[1-9]\d*$/);
  await expect(page.getByTestId('error-steps')).toHaveCount(0);
  await page.getByTestId('field-steps').fill('');
  await expect(page.getByTestId('error-steps')).toBeVisible();
  await page.getByTestId('length-epochs').check();
  await page.getByTestId('field-epochs').fill('');
  await page.getByTestId('length-steps').check();
  await expect(page.getByTestId('field-steps')).toHaveValue(/^[1-9]\d*$/);
  await page.getByTestId('length-epochs').check();
  await expect(page.getByTestId('field-epochs')).toHaveValue(/^[1-9]\d*$/);
  await expect(page.getByTestId('run-submit')).toBeEnabled();

  // The run "long" trained here: its speed gives the estimate, and the form says so.
  await expect(page.getByTestId('estimate-duration')).toHaveText(/^\d+(s|m \d\ds|h \d\dm)$/);
  await expect(page.getByTestId('estimate-duration-basis')).toHaveText('estimated duration, from the speed of 1 past run(s) on this machine');

  // Each field's help (the field table's) is its accessible description, so a screen reader reads it on focus.
  await expect(page.getByTestId('field-hidden')).toHaveAccessibleDescription('Units in each layer\'s hidden state.');
  await expect(page.getByTestId('field-optimizer')).toHaveAccessibleDescription(/^How gradients update the weights/);
  await expect(page.getByTestId('field-optimizer').locator('option')).toHaveText(['Adam', 'SGD', 'RMSprop']);
  await expect(page.getByTestId('field-schedule').locator('option')).toHaveText(['constant', 'step decay', 'cosine']);
  await page.getByTestId('run-preset').selectOption('reference');
});

test('Compare reads like a report: only the fields that apply, numbers as Training writes them, a legend', async () => {
  const long = (await api.listRuns()).find((r) => r.name === 'long')!;
  await openView('compare');
  await page.locator(`[data-testid=compare-pick][data-run-id="${long.id}"]`).check();
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-table')).toBeVisible();
  // "long" counted steps with Adam and a constant schedule.
  await expect(page.locator('[data-field="steps"]')).toHaveCount(1);
  for (const field of ['epochs', 'momentum', 'decayEvery', 'decayGamma']) await expect(page.locator(`[data-field="${field}"]`)).toHaveCount(0);
  await expect(page.locator('[data-field="cell"] td')).toHaveText('LSTM');
  await expect(page.locator('[data-field="chars/sec"] td')).toHaveText(/^\d+(\.\d+)?[kM]?$/);
  await expect(page.locator('[data-field="lr"] td')).toHaveText('0.01');
  await expect(page.getByTestId('compare-legend')).toContainText('differs between the columns');
  await expect(page.getByTestId('compare-legend')).toContainText('best of the row');
  // One column is no contest: no ★ at all.
  await expect(page.getByTestId('compare-best')).toHaveCount(0);
  await expect(page.getByTestId('compare-steps-differ')).toHaveCount(0);
});

test('charts: the legend shows values as the headline does, never "--"; PNG and SVG exports; tick labels do not overlap', async () => {
  const long = (await api.listRuns()).find((r) => r.name === 'long')!;
  await openView('training');
  const card = page.locator(`[data-testid="run-card"][data-run-id="${long.id}"]`);
  const chart = card.getByTestId('loss-chart');
  await expect(chart.locator('canvas')).toBeVisible();
  const legendValues = () => chart.locator('.u-legend .u-value').allTextContents();
  const resting = await legendValues();
  expect(resting.length).toBeGreaterThan(1);
  expect(resting).not.toContain('--');
  // Away from the cursor: the last values, the train loss as the card's headline writes it.
  expect(resting).toContain(await card.getByTestId('run-train-loss').textContent());
  await chart.locator('.u-over').hover();
  const hovered = await legendValues();
  for (const value of hovered.slice(1)) expect(value).toMatch(/^(\d+\.\d{4}|—)$/);

  const download = async (testid: string) => {
    const [file] = await Promise.all([page.waitForEvent('download'), card.getByTestId(testid).click()]);
    return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
  };
  const png = await download('loss-chart-png');
  expect(png.name).toBe('long.png');
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const svg = await download('loss-chart-svg');
  expect(svg.name).toBe('long.svg');
  const text = svg.bytes.toString('utf8');
  expect(text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect((text.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(1);

  // The ticks are uPlot's own, so laying the SVG out measures the screen's labels too.
  const overlaps = await page.evaluate((markup) => {
    const holder = document.createElement('div');
    holder.innerHTML = markup;
    document.body.append(holder);
    const overlapping = (cls: string, axis: 'x' | 'y') => {
      const boxes = [...holder.querySelectorAll<SVGTextElement>(`text.${cls}`)].map((t) => t.getBBox());
      boxes.sort((a, b) => (axis === 'x' ? a.x - b.x : a.y - b.y));
      return boxes.slice(1).filter((box, i) => (axis === 'x' ? box.x < boxes[i].x + boxes[i].width : box.y < boxes[i].y + boxes[i].height)).length;
    };
    const result = { x: overlapping('x-tick', 'x'), y: overlapping('y-tick', 'y'), ticks: holder.querySelectorAll('text.x-tick').length };
    holder.remove();
    return result;
  }, text);
  expect(overlaps.ticks).toBeGreaterThan(1);
  expect(overlaps.x).toBe(0);
  expect(overlaps.y).toBe(0);

  // In dark the raw (unsmoothed) line is still clearly drawn: at least 60 % opaque.
  await page.getByTestId('theme-switch').selectOption('dark');
  const dark = (await download('loss-chart-svg')).bytes.toString('utf8');
  const alphas = [...dark.matchAll(/<polyline class="series" fill="none" stroke="#[0-9a-f]{6}([0-9a-f]{2})"/g)].map((m) => parseInt(m[1], 16) / 255);
  expect(alphas.length).toBeGreaterThan(0);
  for (const alpha of alphas) expect(alpha).toBeGreaterThanOrEqual(0.6);
  await page.getByTestId('theme-switch').selectOption('system');

  // The compare chart and the character frequencies export too.
  await openView('compare');
  await expect(page.getByTestId('compare-chart-png')).toBeVisible();
  await expect(page.getByTestId('compare-chart-svg')).toBeVisible();
  await openView('corpora');
  await page.getByTestId('corpus-item').filter({ hasText: 'seed' }).click();
  const [freq] = await Promise.all([page.waitForEvent('download'), page.getByTestId('frequency-chart-svg').click()]);
  expect(freq.suggestedFilename()).toBe('character-frequencies.svg');
  expect(fs.readFileSync(await freq.path(), 'utf8')).toContain('<rect x=');
});

test('axe-core finds no serious or critical violation in any view, light or dark', async () => {
  await page.evaluate(axeSource);
  for (const theme of ['light', 'dark'] as const) {
    await page.getByTestId('theme-switch').selectOption(theme);
    for (const view of await views()) {
      await openView(view);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect(violations, `${view} in ${theme}`).toEqual([]);
    }
  }
  await page.getByTestId('theme-switch').selectOption('system');
});

/**
 * Latin words that may stay in a Chinese page: proper names, units, code and formats. Anything else
 * made of Latin letters is an untranslated string.
 */
const ALLOWED_LATIN = new Set([
  // Proper names and the names of things.
  'LSTM', 'GRU', 'RNN', 'Elman', 'Adam', 'SGD', 'RMSprop', 'PyTorch', 'Debian', 'GPL', 'KJV', 'English', 'Cho', 'et', 'al', 'char', 'rnn',
  'fortunes', 'zh', 'tang', 'bible', 'kjv', 'text', 'Dropout', 'Top', 'k', 'p',
  // Formats, units and code.
  'safetensors', 'CSV', 'PNG', 'SVG', 'JSON', 'UTF', 'BOM', 'CRLF', 'LF', 'SHA', 'L', 'KiB', 'MiB', 'GiB', 'B', 'M', 's', 'm', 'h',
  'e', 'nats', 'full', 'txt', 'notes', 'tanh', 'c', 'g', 'f', 'i', 'o', 'r', 'z', 'n', 'x', 'T', 'W', 'b', 'U', 'hn', 'ih', 'hh', 't',
  // Devices, kernels and commands a person types (engine settings).
  'CPU', 'CUDA', 'MPS', 'wasm', 'relaxed', 'simd', 'auto', 'python', 'Python', 'HOST', 'PORT', 'ssh', 'srun', 'docker', 'exec',
  'sudo', 'apt', 'get', 'install', 'pip', 'torch', 'Ubuntu',
  // A quoted prompt ("Hello, RNN") is user text; authors cited.
  'Hello', 'Karpathy', 'Johnson', 'Fei', 'LSTMVis', 'Strobelt',
]);

test('简体中文: every view, walked, shows no untranslated text', async () => {
  // User data: the names of runs and corpora (including "spare", deleted above, which the toast still names).
  const runNames = (await api.listRuns()).map((r) => r.name);
  const corpusNames = [...(await api.listCorpora()).map((c) => c.name), 'spare'];
  await page.getByTestId('language-switch').selectOption('zh');
  await expect(page).toHaveTitle('循环网络工作台');
  const found: string[] = [];
  for (const view of await views()) {
    await openView(view);
    if (view === 'compare') {
      // With a comparison on screen: its table, legend and chart.
      await page.locator('[data-testid=compare-pick]').first().check();
      await page.getByTestId('compare-run').click();
      await expect(page.getByTestId('compare-table')).toBeVisible();
    }
    const texts = await page.evaluate(() => {
      const out: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement!;
        // User data (corpus text, samples, generated text) and code are marked as such.
        if (element.closest('.mono, pre, code, textarea, .cm-editor, [data-user-text], .katex, option[data-user-text]')) continue;
        if (!element.checkVisibility()) continue;
        const text = node.textContent?.trim();
        if (text) out.push(text);
      }
      // A label squeezed to one character a line: as many line boxes as characters.
      const squeezed: string[] = [];
      const walker2 = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker2.nextNode(); node; node = walker2.nextNode()) {
        const text = node.textContent?.trim() ?? '';
        if ([...text].length < 3 || !node.parentElement?.checkVisibility()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        if (lines >= [...text].length) squeezed.push(`squeezed: ${text}`);
      }
      out.push(...squeezed);
      // Placeholders and accessible names a person reads too.
      for (const element of document.querySelectorAll<HTMLElement>('[placeholder], [aria-label], [title]')) {
        if (!element.checkVisibility()) continue;
        for (const attribute of ['placeholder', 'aria-label', 'title']) {
          const value = element.getAttribute(attribute);
          if (value) out.push(value);
        }
      }
      return out;
    });
    for (const text of texts) {
      // The host writes English; its sentences are shown labelled as the server's, which is the translation.
      if (text.startsWith('服务器：')) continue;
      let rest = text;
      for (const name of [...runNames, ...corpusNames]) rest = rest.replaceAll(name, ' ');
      // Checksums, file paths, `code` and a command a person types (rnnwb export-project) are code.
      rest = rest.replace(/\b[0-9a-f]{8,}\b/g, ' ').replace(/`[^`]*`/g, ' ').replace(/\S*\/\S*/g, ' ').replace(/\brnnwb [a-z-]+/g, ' ');
      const words = rest.match(/[A-Za-z]+/g) ?? [];
      const strange = words.filter((word) => !ALLOWED_LATIN.has(word));
      if (strange.length > 0 || text.startsWith('squeezed: ')) found.push(`${view}: "${text}"`);
    }
  }
  expect([...new Set(found)]).toEqual([]);
  await page.getByTestId('language-switch').selectOption('en');
});
