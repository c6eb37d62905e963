/**
 * Inspect, end to end against an `rnnwb serve` of its own on an empty database: a small LSTM trained
 * on a quote-rich text, traced over its validation split; the text coloured by a unit and by surprise
 * (virtualized: far fewer character cells in the page than characters), the readout agreeing with the
 * API, units found by the "inside quotes" preset with CSV and picture exports, the LSTMVis selection
 * search, the saturation plot with a second checkpoint overlaid, 简体中文, dark colours, and a
 * keyboard-only path. A screenshot goes to docs/screenshots/inspect.png for the README.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type Download, type Page } from '@playwright/test';
import type { WsApi } from '../../main/transport/ws-client.ts';
import type { CheckpointSummary, RunSummary } from '../../main/api/contract.ts';
import { layoutRows, rowOf } from '../../renderer/src/lib/text-rows.ts';
import { freshWorkbench, repoRoot, type FreshWorkbench, type Server } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

/** Training and tracing on a shared, loaded machine can take minutes where they take seconds on an idle one. */
const RUN_TIMEOUT = 600_000;
const TRACE_TIMEOUT = 180_000;
const HIDDEN = 24;

let workbench: FreshWorkbench;
let server: Server;
let page: Page;
let api: WsApi;
let run: RunSummary;
let checkpoints: CheckpointSummary[];

/** Sentences full of quotes and brackets (deterministic), so "inside quotes" has something to find. */
function quoteRichText(chars: number): string {
  const names = ['Ann', 'Bob', 'Cy', 'Dee', 'Eve'];
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'ran', 'far', 'away', 'to', 'sea', 'in', 'time'];
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const phrase = (n: number) => Array.from({ length: 1 + next(n) }, () => words[next(words.length)]).join(' ');
  let text = '';
  while (text.length < chars) text += `${names[next(names.length)]} said "${phrase(5)}" and (${phrase(3)}) ${phrase(4)}.\n`;
  return text;
}

test.beforeAll(async ({ browser }) => {
  workbench = await freshWorkbench('rnnwb-inspect-');
  ({ server, api } = workbench);
  const corpus = await api.addCorpus({ name: 'quotes', text: quoteRichText(12_000) });
  run = await api.createRun({
    corpusId: corpus.id, name: 'quotes-lstm',
    hyper: { cell: 'lstm', layers: 1, hidden: HIDDEN, embed: 16, window: 32, steps: 160, lr: 0.01, valFraction: 0.4, checkpointEvery: 40, evalEvery: 40 },
  });
  await expect.poll(async () => (await api.getRun(run.id)).status, { timeout: RUN_TIMEOUT }).toBe('done');
  checkpoints = await api.listCheckpoints(run.id);
  page = await browser.newPage({ locale: 'en-US', colorScheme: 'light' });
  await page.goto(server.url);
});

test.afterAll(async () => {
  await page?.close();
  await workbench?.close();
});

async function downloaded(download: Download): Promise<Buffer> {
  return fs.readFileSync((await download.path())!);
}

/** The traceId the page shows (the same request answers from the host's cache). */
async function traceIdOf(checkpointId: number): Promise<string> {
  const job = await api.startInspect({ checkpointId, source: { kind: 'validation', length: 20_000 } });
  expect(job.state).toBe('done');
  return job.resultId!;
}

test('a run card\'s "Inspect" opens the view on the run; its size is said before the trace; the trace shows the text and the n-gram baseline', async () => {
  await page.getByTestId('nav-training').click();
  await page.locator(`[data-testid="run-card"][data-run-id="${run.id}"]`).getByTestId('run-open-inspect').click();
  await expect(page.getByTestId('view-inspect')).toBeVisible();
  await expect(page.getByTestId('inspect-run')).toHaveValue(String(run.id));
  const final = checkpoints.find((c) => c.kind === 'final')!;
  await expect(page.getByTestId('inspect-checkpoint')).toHaveValue(String(final.id));
  // Before it starts: which text, how many characters, how much memory.
  await expect(page.getByTestId('inspect-estimate')).toContainText('the validation split of "quotes"');
  await expect(page.getByTestId('inspect-estimate')).toContainText(/in memory/);

  await page.getByTestId('inspect-start').click();
  await expect(page.getByTestId('inspect-traced')).toBeVisible({ timeout: TRACE_TIMEOUT });
  const summary = await api.inspectSummary(await traceIdOf(final.id));
  await expect(page.getByTestId('inspect-traced')).toContainText(`${summary.positions.toLocaleString('en-US')} characters, ${summary.bitsPerChar.toFixed(3)} bits/char`);
  await expect(page.getByTestId('inspect-baseline')).toHaveText(/^LSTM \d+\.\d\d bits\/char; best n-gram \(n=\d\) \d+\.\d\d$/, { timeout: TRACE_TIMEOUT });

  // Only the rows in view are in the page: thousands of characters, a few hundred cells.
  const text = page.getByTestId('inspect-text');
  const rows = Number(await text.getAttribute('data-rows'));
  expect(rows).toBeGreaterThan(40);
  const cells = await text.locator('[data-pos]').count();
  expect(cells).toBeGreaterThan(100);
  expect(cells).toBeLessThan(summary.positions / 2);
  // Line breaks are kept: the row after a newline starts with the next character.
  const firstNewline = summary.text.indexOf('\n');
  await expect(text.locator(`[data-pos="${firstNewline}"]`)).toHaveText('↵');
});

test('colour by a unit: the legend names it, hovering a character reads its value, loss and top-5 as the API has them', async () => {
  const final = checkpoints.find((c) => c.kind === 'final')!;
  const traceId = await traceIdOf(final.id);
  await page.getByTestId('inspect-kind').selectOption('c');
  await page.getByTestId('inspect-unit').fill('3');
  await page.getByTestId('inspect-unit').dispatchEvent('change');
  await expect(page.getByTestId('inspect-legend')).toContainText('l0.c.3');
  await expect(page.getByTestId('inspect-explain')).toContainText('cell state c');

  const values = await api.inspectUnit({ traceId, unit: { layer: 0, kind: 'c', unit: 3 } });
  const position = 12;
  await page.getByTestId('inspect-text').locator(`[data-pos="${position}"]`).hover();
  await expect(page.getByTestId('inspect-readout-at')).toContainText(`at position ${position}`);
  await expect(page.getByTestId('inspect-readout-value')).toHaveText(`l0.c.3 = ${values.values[position].toFixed(3).replace('-', '−')}`);
  const detail = await api.inspectPosition({ traceId, position });
  await expect(page.getByTestId('inspect-readout')).toContainText(`loss ${detail.lossBits!.toFixed(3)} bits`);
  await expect(page.getByTestId('inspect-readout-top').locator('span')).toHaveCount(detail.top.length);
  // Two characters with different values get different colours.
  const background = (p: number) => page.getByTestId('inspect-text').locator(`[data-pos="${p}"]`).evaluate((n) => getComputedStyle(n).backgroundColor);
  const [lo, hi] = [values.values.slice(0, 60).indexOf(Math.min(...values.values.slice(0, 60))), values.values.slice(0, 60).indexOf(Math.max(...values.values.slice(0, 60)))];
  expect(await background(lo)).not.toBe(await background(hi));

  // Surprise: by loss, with the totals by class.
  await page.getByTestId('inspect-colour-by').selectOption('loss');
  await expect(page.getByTestId('inspect-legend')).toContainText('loss (bits)');
  const classes = await api.inspectClasses(traceId);
  const letters = classes.find((c) => c.class === 'letter')!;
  await expect(page.locator('[data-testid="inspect-classes"] tr[data-class="letter"]')).toContainText(letters.bitsPerChar!.toFixed(3));
  // Network minus n-gram.
  await page.getByTestId('inspect-colour-by').selectOption('ngram');
  await expect(page.getByTestId('inspect-legend')).toContainText('network − n-gram (bits)');
  await page.getByTestId('inspect-colour-by').selectOption('unit');

  // Per-position values as CSV, the picture as PNG.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('inspect-csv-positions').click()]);
  expect(csv.suggestedFilename()).toMatch(/-positions\.csv$/);
  expect((await downloaded(csv)).toString('utf8').split('\n')[0]).toBe('position,char,loss_bits,top1,top1_p,l0.c.3');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('inspect-text-export-png').click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  expect((await downloaded(png)).subarray(1, 4).toString('latin1')).toBe('PNG');
});

test('find units by a regex: "inside quotes" ranks 10 units as strips; a strip opens its unit; CSV and SVG export', async () => {
  const final = checkpoints.find((c) => c.kind === 'final')!;
  const traceId = await traceIdOf(final.id);
  await page.getByTestId('inspect-preset').selectOption('quotes');
  await expect(page.getByTestId('inspect-pattern')).toHaveValue('"[^"]*"');
  await page.getByTestId('inspect-find-run').click();
  await expect(page.getByTestId('unit-strip')).toHaveCount(10, { timeout: 60_000 });
  const found = await api.inspectFindUnits({ traceId, pattern: '"[^"]*"', measure: 'auc', top: 10 });
  await expect(page.getByTestId('inspect-found-summary')).toContainText(`${found.marked.toLocaleString('en-US')} of ${found.positions.toLocaleString('en-US')} positions marked`);
  expect(await page.getByTestId('unit-strip').evaluateAll((n) => n.map((x) => x.getAttribute('data-unit')))).toEqual(found.units.map((u) => u.name));

  await page.getByTestId('unit-strip-open').first().click();
  await expect(page.getByTestId('inspect-legend')).toContainText(found.units[0].name);
  await expect(page.getByTestId('inspect-kind')).toHaveValue(found.units[0].kind);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('inspect-csv-ranking').click()]);
  const lines = (await downloaded(csv)).toString('utf8').trim().split('\n');
  expect(lines[0]).toBe('rank,unit,layer,kind,index,auc,correlation,score,direction');
  expect(lines[1].split(',')[1]).toBe(found.units[0].name);
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('inspect-strips-export-svg').click()]);
  expect((await downloaded(svg)).toString('utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);

  fs.mkdirSync(path.join(repoRoot, 'docs/screenshots'), { recursive: true });
  // From the top: the header is sticky, and a full-page picture of a scrolled page shows it mid-way.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(repoRoot, 'docs/screenshots/inspect.png'), fullPage: true });
});

test('select a span (drag): the units on through it are found and the other places listed and outlined, as the API finds them', async () => {
  const final = checkpoints.find((c) => c.kind === 'final')!;
  const traceId = await traceIdOf(final.id);
  const summary = await api.inspectSummary(traceId);
  await page.getByTestId('inspect-kind').selectOption('h');
  const open = summary.text.indexOf('"');
  const text = page.getByTestId('inspect-text');
  await text.locator(`[data-pos="${open + 1}"]`).hover();
  await page.mouse.down();
  await text.locator(`[data-pos="${open + 3}"]`).hover();
  await page.mouse.up();
  await expect(page.getByTestId('inspect-selected')).toContainText(`Selected positions ${open + 1}–${open + 3}`);
  // A threshold at which some units are on through the span and off around it (the API says which).
  const span = { traceId, start: open + 1, end: open + 4, kind: 'h', limit: 50 };
  let threshold = 0;
  for (const th of [0, 0.2, -0.2, 0.4, -0.4, 0.6, -0.6]) {
    if ((await api.inspectSelection({ ...span, threshold: th })).units.length > 0) {
      threshold = th;
      break;
    }
  }
  const expected = await api.inspectSelection({ ...span, threshold });
  expect(expected.units.length).toBeGreaterThan(0);
  await page.getByTestId('inspect-threshold').fill(String(threshold));
  await page.getByTestId('inspect-select-run').click();

  await expect(page.getByTestId('inspect-select-units')).toContainText(`${expected.units.length} unit(s)`);
  await expect(page.getByTestId('inspect-match')).toHaveCount(expected.matches.length);
  // A match elsewhere: jumping to it scrolls it into view, outlined.
  const other = expected.matches.find((m) => !m.selected) ?? expected.matches[0];
  await page.locator(`[data-testid="inspect-match"][data-start="${other.start}"]`).click();
  await expect(text.locator(`[data-pos="${other.start}"]`)).toHaveClass(/hit/);
  await expect(page.getByTestId('inspect-readout-at')).toContainText(`at position ${other.start}`);
});

test('saturation: one plot per gate, hover names a unit, click opens it; a second checkpoint overlaid and compared by loss', async () => {
  const plots = page.getByTestId('saturation-plot');
  await expect(plots).toHaveCount(3);
  expect(await plots.evaluateAll((n) => n.map((x) => x.getAttribute('data-gate')))).toEqual(['i', 'f', 'o']);
  const forget = page.locator('[data-testid="saturation-plot"][data-gate="f"]');
  await expect(forget.getByTestId('saturation-dot')).toHaveCount(HIDDEN);
  // Dots may overlap, so the events go to the dot itself rather than to a point on the screen.
  await forget.locator('[data-testid="saturation-dot"][data-unit="5"]').dispatchEvent('mouseenter');
  await expect(page.getByTestId('saturation-readout')).toContainText('l0.f.5: left-saturated');
  await forget.locator('[data-testid="saturation-dot"][data-unit="5"]').dispatchEvent('click');
  await expect(page.getByTestId('inspect-legend')).toContainText('l0.f.5');
  await expect(page.getByTestId('inspect-kind')).toHaveValue('f');

  // Against an earlier checkpoint of the same run, on the same text.
  await page.getByTestId('inspect-other-run').selectOption(String(run.id));
  const early = checkpoints.filter((c) => c.kind !== 'final').sort((a, b) => a.step - b.step)[0];
  await page.getByTestId('inspect-other-checkpoint').selectOption(String(early.id));
  await page.getByTestId('inspect-compare-run').click();
  await expect(page.getByTestId('inspect-compare-result')).toBeVisible({ timeout: TRACE_TIMEOUT });
  await expect(page.getByTestId('inspect-colour-by')).toHaveValue('compare');
  await expect(page.getByTestId('inspect-legend')).toContainText('other − this (bits)');
  await expect(page.getByTestId('saturation-dot-other')).toHaveCount(3 * HIDDEN);
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('inspect-saturation-export-svg').click()]);
  expect((await downloaded(svg)).toString('utf8')).toContain('<circle');
});

test('简体中文 and dark: the view speaks Chinese, and its colours follow the theme', async () => {
  await page.getByTestId('language-switch').selectOption('zh');
  await expect(page.getByTestId('nav-inspect')).toHaveText('剖析');
  await expect(page.locator('#inspect-title')).toHaveText('剖析：单元和门学到了什么');
  await expect(page.getByTestId('inspect-classes')).toContainText('字符类别');
  await expect(page.getByTestId('inspect-find')).toContainText('按模式查找单元');
  await expect(page.getByTestId('saturation-readout')).toContainText(/左饱和|悬停/);
  await page.getByTestId('language-switch').selectOption('en');
  await expect(page.getByTestId('nav-inspect')).toHaveText('Inspect');

  const textBackground = () => page.getByTestId('inspect-text').evaluate((n) => getComputedStyle(n).backgroundColor);
  const light = await textBackground();
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(textBackground).not.toBe(light);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(textBackground).toBe(light);
});

test('keyboard only: Tab to Inspect, trace, walk the text with arrows, select with Shift, open a unit from the saturation plot', async () => {
  await page.reload();
  const focusedTestId = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
  const tabTo = async (testid: string, limit = 120) => {
    for (let i = 0; i < limit; i++) {
      if ((await focusedTestId()) === testid) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${testid}`);
  };
  await tabTo('nav-inspect');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('view-inspect')).toBeVisible();
  await expect(page.getByTestId('inspect-checkpoint')).not.toHaveValue('');
  await tabTo('inspect-start');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspect-traced')).toBeVisible({ timeout: TRACE_TIMEOUT });

  await tabTo('inspect-text');
  await expect(page.getByTestId('inspect-readout-at')).toContainText('at position 0');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('inspect-readout-at')).toContainText('at position 3');
  await page.keyboard.press('ArrowDown');
  // Down keeps the column in the next row (rows end at a line break or after 100 characters).
  const summary = await api.inspectSummary(await traceIdOf(checkpoints.find((c) => c.kind === 'final')!.id));
  const rows = layoutRows(Array.from(summary.text), 100);
  const row = rowOf(rows, 3);
  const below = Math.min(rows[row + 1].start + 3 - rows[row].start, rows[row + 1].end - 1);
  await expect(page.getByTestId('inspect-readout-at')).toContainText(`at position ${below}`);
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(page.getByTestId('inspect-selected')).toContainText(`Selected positions ${below}–${below + 2}`);

  await tabTo('inspect-find-run');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('unit-strip')).toHaveCount(10, { timeout: 60_000 });

  // The saturation plots take the arrow keys; Enter opens the unit in the text view.
  const plot = page.locator('[data-testid="saturation-plot"][data-gate="i"] svg');
  for (let i = 0; i < 200 && !(await plot.evaluate((n) => n === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(plot).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('saturation-readout')).toContainText('l0.i.2');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspect-legend')).toContainText('l0.i.2');
});
