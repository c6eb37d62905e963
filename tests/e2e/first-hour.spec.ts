/**
 * A learner's first hour, in one page against an `rnnwb serve` of its own on an empty database: the
 * start page, "Reproduce the reference script" in one click, the gates panel that explains itself
 * (titles, legends, the equation with the numbers of the focused character and unit, keyboard readout),
 * the prompt of a training sample, and the singletons list. Screenshots of the start page and the gates
 * panel go to docs/screenshots/ (start.png, gates.png) for the README.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import type { WsApi } from '../../main/transport/ws-client.ts';
import type { TraceResult } from '../../main/api/contract.ts';
import { freshWorkbench, repoRoot, type FreshWorkbench, type Server } from './helpers.ts';
import { formatValue } from '../../renderer/src/lib/gate-equations.ts';

test.describe.configure({ mode: 'serial' });

/** Training on a shared, loaded machine can take minutes where it takes seconds on an idle one. */
const RUN_TIMEOUT = 600_000;
const docsShots = path.join(repoRoot, 'docs/screenshots');

let workbench: FreshWorkbench;
let server: Server;
let page: Page;
let api: WsApi;

test.beforeAll(async ({ browser }) => {
  workbench = await freshWorkbench('rnnwb-first-hour-');
  ({ server, api } = workbench);
  page = await browser.newPage({ locale: 'en-US', colorScheme: 'light' });
  await page.goto(server.url);
});

test.afterAll(async () => {
  await page?.close();
  await workbench?.close();
});

test('start page: an empty database opens on it, with the bundled samples, their sources and three one-click starts', async () => {
  await expect(page.getByTestId('view-start')).toBeVisible();
  await expect(page.getByTestId('nav-start')).toHaveAttribute('aria-current', 'page');
  for (const id of ['hello-rnn', 'tang300', 'kjv-genesis']) {
    const sample = page.getByTestId(`sample-${id}`);
    await expect(sample).toContainText('Source:');
    await expect(sample).toContainText(/public domain/i);
    await expect(sample.getByTestId(`sample-add-${id}`)).toBeVisible();
  }
  for (const id of ['reference', 'tang', 'compare']) await expect(page.getByTestId(`quick-${id}-go`)).toBeVisible();
  await expect(page.getByTestId('quick-reference')).toContainText('Reproduce the reference script');
  fs.mkdirSync(docsShots, { recursive: true });
  await page.screenshot({ path: path.join(docsShots, 'start.png'), fullPage: true });

  // "Add a corpus first" is a link to Corpora while there is none.
  await page.getByTestId('nav-new-run').click();
  await page.getByTestId('no-corpus-link').click();
  await expect(page.getByTestId('view-corpora')).toBeVisible();
  await page.getByTestId('nav-start').click();
  await expect(page.getByTestId('view-start')).toBeVisible();
});

test('start page: "Reproduce the reference script" stores the sentence, trains, and ends in the playground on "Hello, RNN" predicting "!"', async () => {
  await page.getByTestId('quick-reference-go').click();
  await expect(page.getByTestId('view-playground')).toBeVisible({ timeout: RUN_TIMEOUT });
  await expect(page.getByTestId('play-input')).toHaveValue('Hello, RNN');
  await expect(page.getByTestId('topk-row').first()).toHaveAttribute('data-char', '!', { timeout: 60_000 });

  const corpora = await api.listCorpora();
  expect(corpora.map((c) => c.name)).toEqual(['hello-rnn']);
  const runs = await api.listRuns();
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ status: 'done', name: 'hello-rnn-lstm64' });
  // Opened on the run's final checkpoint.
  const final = (await api.listCheckpoints(runs[0].id)).find((c) => c.kind === 'final')!;
  await expect(page.getByTestId('play-checkpoint')).toHaveValue(String(final.id));

  // The corpus exists now: the link is gone from New run, and the start page says the sample is stored.
  await page.getByTestId('nav-new-run').click();
  await expect(page.getByTestId('no-corpus')).toHaveCount(0);
  await page.getByTestId('nav-start').click();
  await expect(page.getByTestId('sample-hello-rnn').getByTestId('sample-stored')).toContainText('hello-rnn');
});

test('gates: each map titled with its role and a legend of its range; the focused unit\'s equations with the numbers in them; the keyboard moves the readout', async () => {
  await page.getByTestId('nav-playground').click();
  const maps = page.getByTestId('gate-heatmap');
  // "Follow the text" traced "Hello, RNN" as it opened.
  await expect(maps).toHaveCount(6, { timeout: 60_000 });
  const titles = await page.getByTestId('gate-title').allTextContents();
  expect(titles[1]).toBe('forget gate f — how much of the old cell state is kept');
  expect(titles.map((title) => title.split(' — ')[0])).toEqual(['input gate i', 'forget gate f', 'candidate g', 'output gate o', 'cell state c', 'hidden state h']);
  const legend = (gate: string) => page.locator(`[data-testid="gate-heatmap"][data-gate="${gate}"]`).getByTestId('gate-legend');
  await expect(legend('f')).toContainText('Colour scale, 0 to 1');
  await expect(legend('g')).toContainText('Colour scale, −1.00 to 1.00');
  await expect(legend('c')).toContainText('scaled');
  // Each map saves as SVG (its title, a cell per unit and character, its scale) and as PNG.
  const save = async (kind: 'png' | 'svg') => {
    const [file] = await Promise.all([page.waitForEvent('download'), legend('f').getByTestId(`gate-export-${kind}`).click()]);
    return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
  };
  const svg = await save('svg');
  expect(svg.name).toBe('gate-f.svg');
  const svgText = svg.bytes.toString('utf8');
  expect(svgText).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svgText).toContain('forget gate f — how much of the old cell state is kept');
  expect(svgText).toContain('Colour scale, 0 to 1');
  expect((svgText.match(/<rect x=/g) ?? []).length).toBe(32 * 'Hello, RNN'.length);
  const png = await save('png');
  expect(png.name).toBe('gate-f.png');
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  // Rows stay readable (at least 6 px a unit); 64 units scroll 32 at a time.
  expect(Number(await maps.first().locator('canvas').getAttribute('data-row-height'))).toBeGreaterThanOrEqual(6);
  await expect(page.getByTestId('unit-range-label')).toHaveText('units 0–31 of 64');

  // Keyboard: focusing a map shows its first character; arrows move the readout, and the equations follow.
  const readout = page.getByTestId('gate-readout');
  await expect(readout).toContainText('Hover a map');
  // Where the maps are on the page (not in the viewport: focusing one may scroll it into view).
  const mapsAt = () => maps.evaluateAll((nodes) => nodes.map((n) => Math.round(n.getBoundingClientRect().top + window.scrollY)));
  const before = await mapsAt();
  await maps.nth(1).locator('canvas').focus();
  await expect(readout).toHaveText('“H” (position 0), unit 0');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(readout).toHaveText('“l” (position 3), unit 1');
  // The readout sits in one place: the maps never move under it.
  expect(await mapsAt()).toEqual(before);

  const checkpointId = Number(await page.getByTestId('play-checkpoint').inputValue());
  const trace: TraceResult = await api.trace({ checkpointId, text: 'Hello, RNN' });
  const at = (gate: string, position: number) => trace.layers[0].gates[gate][position][1];
  const cLine = page.locator('[data-testid="equation-line"][data-target="c"]');
  const expected = `c_t = f·c_{t−1} + i·g = ${formatValue(at('f', 3))}·${formatValue(at('c', 2))} + ${formatValue(at('i', 3))}·${formatValue(at('g', 3))}`
    .replace(/·(−[\d.]+)/g, '·($1)');
  await expect(cLine).toHaveText(`${expected} = ${formatValue(at('c', 3))}`);
  await expect(page.locator('[data-testid="equation-line"][data-target="h"]')).toHaveText(new RegExp(`= ${formatValue(at('h', 3)).replace('.', '\\.')}$`));
  await expect(page.locator('[data-testid="gate-role"][data-gate="f"]')).toHaveText(`f = ${formatValue(at('f', 3))}: kept ${Math.round(at('f', 3) * 100)} % of the old cell state`);
  console.log(`gates at "l" (position 3), unit 1: ${await cLine.textContent()}`);
  // The sticky header would cover the panel's top in an element screenshot.
  await page.locator('.trace').first().locator('xpath=..').screenshot({ path: path.join(docsShots, 'gates.png'), style: '.top { position: static !important; }' });

  // Enter picks the focused unit for the unit chart; the hover readout goes to the same fixed place.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /^Unit 1:/ })).toBeVisible();
  await maps.first().locator('canvas').hover({ position: { x: 2, y: 1 } });
  await expect(readout).toHaveText('“H” (position 0), unit 0');

});

test('start page: a training sample shows the prompt it started from, greyed', async () => {
  await page.getByTestId('nav-training').click();
  const run = (await api.listRuns())[0];
  const detail = await api.getRun(run.id);
  const prompt = page.getByTestId('run-sample-prompt').first();
  await expect(prompt).toHaveText(detail.latestSample!.prompt);
  await expect(page.getByTestId('run-sample').first()).toHaveText(detail.latestSample!.text);
  const colours = await prompt.evaluate((node) => [getComputedStyle(node).color, getComputedStyle(node.parentElement!).color]);
  expect(colours[0]).not.toBe(colours[1]);
});

test('start page: a sample added from it lists its singletons with "…and N more"', async () => {
  await page.getByTestId('nav-start').click();
  await page.getByTestId('sample-add-tang300').click();
  await expect(page.getByTestId('sample-tang300').getByTestId('sample-stored')).toBeVisible();
  const tang = (await api.listCorpora()).find((c) => c.name === 'tang300')!;
  const singletons = (await api.corpusStats(tang.id, 10)).singletons.length;
  expect(singletons).toBeGreaterThan(40);
  await page.getByTestId('sample-tang300').getByRole('button', { name: 'Open in Corpora' }).click();
  await page.locator(`[data-testid="corpus-item"][data-corpus-id="${tang.id}"]`).click();
  await expect(page.getByTestId('singletons-more')).toHaveText(`…and ${singletons - 40} more`);
});

test('start page: "LSTM vs GRU" trains both on the reference sentence, then opens Compare on the two', async () => {
  await page.getByTestId('nav-start').click();
  await page.getByTestId('quick-compare-go').click();
  await expect(page.getByTestId('view-compare')).toBeVisible({ timeout: RUN_TIMEOUT });
  const columns = page.getByTestId('compare-column');
  await expect(columns).toHaveCount(2, { timeout: 60_000 });
  const names = await columns.allTextContents();
  expect(names.some((n) => n.includes('lstm')) && names.some((n) => n.includes('gru'))).toBe(true);
  await expect(page.locator('[data-testid="compare-row-differs"][data-field="cell"]')).toBeVisible();
  // The sentence was stored once, by the first start.
  expect((await api.listCorpora()).filter((c) => c.name === 'hello-rnn')).toHaveLength(1);
});

test('start page: "Tang poems with a GRU" starts a GRU on the poems and shows it in Training', async () => {
  await page.getByTestId('nav-start').click();
  await page.getByTestId('quick-tang-go').click();
  await expect(page.getByTestId('view-training')).toBeVisible({ timeout: 60_000 });
  const run = (await api.listRuns()).find((r) => r.corpusName === 'tang300')!;
  expect(run.hyper.cell).toBe('gru');
  await expect(page.getByTestId('run-card').filter({ hasText: run.name })).toBeVisible();
  await api.stopRun(run.id);
});

test('gates: switching runs keeps the gates shown while "Follow the text" is on (traced again for the new run)', async () => {
  await page.getByTestId('nav-playground').click();
  const runs = await api.listRuns();
  const lstm = runs.find((r) => r.name === 'hello-rnn-lstm64')!;
  const gru = runs.find((r) => r.hyper.cell === 'gru' && r.corpusName === 'hello-rnn')!;
  await page.getByTestId('play-run').selectOption(String(lstm.id));
  await page.getByTestId('play-input').fill('Hello, RNN');
  await expect(page.getByTestId('gate-heatmap')).toHaveCount(6, { timeout: 60_000 });
  await expect(page.getByTestId('trace-follow')).toBeChecked();
  await page.getByTestId('play-run').selectOption(String(gru.id));
  // No "Show gates" press: the GRU's own gates replace the LSTM's.
  await expect(page.getByTestId('cell-equations')).toHaveAttribute('data-cell', 'gru', { timeout: 60_000 });
  await expect(page.getByTestId('gate-heatmap')).toHaveCount(4);
  await expect(page.getByTestId('gate-title').first()).toHaveText('reset gate r — how much of the old state enters the candidate');
  await page.getByTestId('gate-heatmap').nth(1).locator('canvas').focus();
  await expect(page.locator('[data-testid="equation-line"][data-target="h"]')).toHaveText(/^h_t = \(1 − z\)·n \+ z·h_\{t−1\} = \(1 − \d\.\d\d\)·/);
  await expect(page.locator('[data-testid="gate-role"][data-gate="z"]')).toContainText('of the old state and took');
});

test('gates panel\'s playground: a run opens on its final checkpoint; the best one is a click away, labelled', async () => {
  const corpus = (await api.listCorpora()).find((c) => c.name === 'hello-rnn')!;
  // Validation on the sentence's tail with a high learning rate: the best validation loss comes early (step 50 of 300).
  const created = await api.createRun({ corpusId: corpus.id, name: 'best-vs-final', preset: 'reference', hyper: { valFraction: 0.3, steps: 300, lr: 0.05 } });
  await expect.poll(async () => (await api.getRun(created.id)).status, { timeout: RUN_TIMEOUT }).toBe('done');
  const checkpoints = await api.listCheckpoints(created.id);
  const final = checkpoints.find((c) => c.kind === 'final')!;
  const best = checkpoints.find((c) => c.kind === 'best')!;
  expect(best.step).toBeLessThan(final.step);

  await page.getByTestId('nav-playground').click();
  await page.getByTestId('play-run').selectOption(String(created.id));
  await expect(page.getByTestId('play-checkpoint')).toHaveValue(String(final.id));
  await expect(page.getByTestId('play-showing')).toHaveText('showing the final checkpoint');
  await expect(page.getByTestId('play-best')).toHaveText(`Best checkpoint (step ${best.step}, validation loss ${best.valLoss!.toFixed(3)})`);
  await page.getByTestId('play-best').click();
  await expect(page.getByTestId('play-checkpoint')).toHaveValue(String(best.id));
  await expect(page.getByTestId('play-showing')).toHaveText('showing the best checkpoint');
  await page.getByTestId('play-final').click();
  await expect(page.getByTestId('play-checkpoint')).toHaveValue(String(final.id));
});
