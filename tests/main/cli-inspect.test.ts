/**
 * `rnnwb inspect` and `rnnwb ngram` as a person runs them (the real binary in a child process) on a
 * database holding the planted quote model: the quote unit comes first, saturation and n-gram tables
 * come out as JSON, bad input is one line with exit code 2, and the trace agrees with `rnnwb predict`
 * at every position of a text.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANTED, QUOTED_TEXT } from '../engine/inspect-fixtures.ts';
import { jsonLines, runCli } from './cli-helpers.ts';
import { QUOTE_CORPUS, openQuoteStorage } from './inspect-helpers.ts';

let dir: string;
let db: string;

beforeAll(() => {
  const opened = openQuoteStorage('rw-cli-inspect-');
  opened.storage.close();
  dir = opened.dir;
  db = opened.dbPath;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('rnnwb inspect', () => {
  it('--find ranks the planted quote unit first (AUC 1) on the validation split, and writes the ranking as CSV', async () => {
    const csv = path.join(dir, 'units.csv');
    const result = await runCli(['inspect', 'quotes', '--find', '"[^"]*"', '--top', '3', '--json', '--csv', csv, '--db', db]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [out] = jsonLines(result.stdout);
    expect(out.positions).toBe(Array.from(QUOTE_CORPUS).length / 2);
    expect(out.units).toHaveLength(3);
    expect(out.units[0]).toMatchObject({ name: PLANTED.name, auc: 1, direction: 1 });
    expect(readFileSync(csv, 'utf8').split('\n')[1]).toMatch(/^1,l0\.h\.1,/);
    const table = await runCli(['inspect', 'quotes', '--find', '"[^"]*"', '--top', '2', '--db', db]);
    expect(table.stdout).toMatch(/positions match "\\"\[\^\\"\]\*\\""; units by AUC:\nrank\s+unit\s+auc/);
    expect(table.stdout).toMatch(/\n\s*1\s+l0\.h\.1\s+1\.0000/);
  }, 60_000);

  it('--saturation gives per layer and gate the fractions below 0.1 and above 0.9', async () => {
    const result = await runCli(['inspect', 'quotes', '--saturation', '--json', '--db', db]);
    expect(result.code).toBe(0);
    const [out] = jsonLines(result.stdout);
    expect(out.gates.map((g: { gate: string }) => g.gate)).toEqual(['i', 'f', 'o']);
    expect(out.gates[2].right[0]).toBe(1);
  }, 60_000);

  it('agrees with `rnnwb predict` at every position of a text', async () => {
    const text = QUOTED_TEXT.slice(0, 90);
    const file = path.join(dir, 'text.txt');
    writeFileSync(file, text);
    const csv = path.join(dir, 'positions.csv');
    const inspected = await runCli(['inspect', 'quotes', '--text', file, '--csv', csv, '--db', db]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/bits per character/);
    const rows = parseCsv(readFileSync(csv, 'utf8')).slice(1);
    const chars = Array.from(text);
    expect(rows).toHaveLength(chars.length);
    const prefixes = chars.map((_, t) => chars.slice(0, t + 1).join(''));
    const predicted = await runCli(['predict', 'quotes', ...prefixes, '--top', '1', '--json', '--db', db]);
    expect(predicted.code).toBe(0);
    const answers = jsonLines(predicted.stdout);
    expect(answers).toHaveLength(chars.length);
    answers.forEach((answer, t) => {
      const [, , , top1, top1p] = rows[t];
      expect(unescape(top1)).toBe(answer.top[0].char);
      expect(Number(top1p)).toBeCloseTo(answer.top[0].p, 6);
    });
  }, 60_000);

  it('refuses bad input with one line and exit code 2', async () => {
    const badRegex = await runCli(['inspect', 'quotes', '--find', '(', '--db', db]);
    expect(badRegex.code).toBe(2);
    expect(oneLine(badRegex.stderr)).toMatch(/^rnnwb: "\(" is not a regular expression: .+\.$/);
    const both = await runCli(['inspect', 'quotes', '--find', 'a', '--saturation', '--db', db]);
    expect(both.code).toBe(2);
    expect(oneLine(both.stderr)).toBe('rnnwb: Give --find or --saturation, not both.');
    const orders = await runCli(['ngram', 'quotes', '--n', '0..3', '--db', db]);
    expect(orders.code).toBe(2);
    expect(oneLine(orders.stderr)).toBe('rnnwb: --n must be an order from 1 to 12 or a range such as 1..7 (got "0..3").');
  }, 60_000);
});

describe('rnnwb ngram', () => {
  it('prints bits per character for each order and names the best', async () => {
    const json = await runCli(['ngram', 'quotes', '--n', '2..4', '--json', '--db', db]);
    expect(json.code).toBe(0);
    const [out] = jsonLines(json.stdout);
    expect(out.orders.map((o: { n: number }) => o.n)).toEqual([2, 3, 4]);
    const best = out.orders.reduce((a: { bitsPerChar: number }, b: { bitsPerChar: number }) => (b.bitsPerChar < a.bitsPerChar ? b : a));
    expect(out.best).toEqual(best);
    const table = await runCli(['ngram', 'quotes', '--n', '3', '--db', db]);
    expect(table.stdout).toMatch(/^n\s+bits\/char\n\s*3\s+\d\.\d{4}\nbest n-gram \(n=3\) \d\.\d\d bits\/char on 1,248 characters; fitted on 1,248\.\n$/);
  }, 60_000);
});

/** RFC 4180 rows: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += ch;
  }
  return rows;
}

/** The CSV spells line breaks and tabs out (\n, \t, \\). */
function unescape(cell: string): string {
  return cell === '\\n' ? '\n' : cell === '\\t' ? '\t' : cell === '\\r' ? '\r' : cell === '\\\\' ? '\\' : cell;
}
