/**
 * The hyperparameter table (engine/fields.ts) and everything built from it: every field has its check,
 * its API schema, its CLI flag (and --help line), its place in the New-run form, a label and a help in
 * both languages and a row in the compare table — so the next field cannot be forgotten by one of them.
 * Then the drift the table ended: the CLI's missing flags (through the real binary), the form's window
 * count with a stride, and the limits of checkpoint samples.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, PRESETS, validateHyperparameters, type Hyperparameters } from '../../engine/config.ts';
import { makeWindows, splitCorpus } from '../../engine/data/windows.ts';
import {
  HYPERPARAMETER_KEYS, SAMPLE_LIMITS, fieldSpec, fillTemplate, helpKey, labelKey,
  sampleLengthProblem, type FieldSpec, type HyperparameterKey,
} from '../../engine/fields.ts';
import { decodeUtf8Exact } from '../../engine/text/utf8.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { validateJob } from '../../engine/train/validate.ts';
import { ApiError } from '../../main/api/contract.ts';
import { HYPERPARAMETER_SCHEMAS, validateCall } from '../../main/api/schemas.ts';
import { compare } from '../../main/api/service-compare.ts';
import { Playground } from '../../main/api/service-playground.ts';
import { addTrainingFlags, trainingChoice } from '../../main/cli/hyper-flags.ts';
import { planTraining, sampleSettings } from '../../main/runs/plan.ts';
import { Storage } from '../../main/storage/index.ts';
import { messages } from '../../renderer/src/lib/messages.ts';
import { estimateRun } from '../../renderer/src/lib/run-estimate.ts';
import { FIELD_KINDS, SECTIONS, CHOICES } from '../../renderer/src/lib/run-form-fields.ts';
import { jsonLines, runCli, seedCorpus, tempDir } from './cli-helpers.ts';

const seedText = decodeUtf8Exact(new Uint8Array(readFileSync(seedCorpus))).text;
const FIELDS = HYPERPARAMETER_KEYS.map((key) => ({ key, spec: fieldSpec(key) }));

/** Values the table must refuse for a field: below, above, not whole, not a number, not a choice. */
function badValues(spec: FieldSpec): unknown[] {
  switch (spec.kind) {
    case 'choice': return ['nonsense', 3, null];
    case 'batch': return [spec.min - 1, spec.max + 1, 1.5, 'half', Number.NaN];
    case 'int': return [spec.min - 1, spec.max + 1, spec.min + 0.5, Number.NaN, '3'];
    case 'number': return [spec.aboveMin ? spec.min : spec.min - 0.001, spec.max + 1, Number.NaN, Number.POSITIVE_INFINITY, '0.1'];
    case 'text': return ['x'.repeat(spec.maxLength + 1), 'bad\nline', 3, null];
  }
}

/** An allowed value other than the default, to see a flag's value land in its field. */
function otherValue(spec: FieldSpec): { typed: string; value: unknown } {
  switch (spec.kind) {
    case 'choice': {
      const value = spec.choices.find((c) => c !== spec.default)!;
      return { typed: value, value };
    }
    case 'batch': return { typed: String(spec.min + 1), value: spec.min + 1 };
    case 'int': return { typed: String(spec.min + 1), value: spec.min + 1 };
    case 'number': return { typed: String((spec.min + spec.max) / 2), value: (spec.min + spec.max) / 2 };
    case 'text': return { typed: 'gpu-box:29500', value: 'gpu-box:29500' };
  }
}

describe('the hyperparameter table', () => {
  it('holds exactly the fields of Hyperparameters, and its defaults are DEFAULT_HYPERPARAMETERS', () => {
    expect(Object.keys(DEFAULT_HYPERPARAMETERS)).toEqual(HYPERPARAMETER_KEYS);
    for (const { key, spec } of FIELDS) expect(DEFAULT_HYPERPARAMETERS[key], key).toBe(spec.default);
    expect(validateHyperparameters(DEFAULT_HYPERPARAMETERS)).toEqual({});
    for (const preset of Object.values(PRESETS)) expect(validateHyperparameters(preset.hyper)).toEqual({});
  });

  describe.each(FIELDS)('$key', ({ key, spec }) => {
    it('refuses each value out of its range, naming the field; its default passes', () => {
      expect(validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, [key]: spec.default })[key]).toBeUndefined();
      for (const bad of badValues(spec)) {
        const problem = validateHyperparameters({ ...DEFAULT_HYPERPARAMETERS, [key]: bad } as Hyperparameters)[key];
        expect(problem, `${key} = ${String(bad)}`).toMatch(new RegExp(`^${spec.label} must be .*\\(got .*\\)\\.$`));
      }
    });

    it('has an API schema that takes its default and refuses a value of the wrong type by name', () => {
      expect(HYPERPARAMETER_SCHEMAS[key], key).toBeDefined();
      expect(() => validateCall('checkHyperparameters', [{ hyper: { [key]: spec.default } }])).not.toThrow();
      const refused = (() => {
        try {
          validateCall('checkHyperparameters', [{ hyper: { [key]: { not: 'a value' } } }]);
          return null;
        } catch (error) {
          return error as ApiError;
        }
      })();
      expect(refused?.message).toMatch(new RegExp(`^checkHyperparameters: input\\.hyper\\.${key}\\b`));
    });

    it('has a CLI flag whose value lands in the field (or says why not)', () => {
      if (spec.cli.flag === null) {
        expect(spec.cli.reason.length).toBeGreaterThan(10);
        return;
      }
      const command = addTrainingFlags(new Command('train').exitOverride());
      const option = command.options.find((o) => o.long === `--${spec.cli.flag}`);
      expect(option, `--${spec.cli.flag}`).toBeDefined();
      expect(option!.description).toBe(spec.cli.help);
      const { typed, value } = otherValue(spec);
      command.parse([`--${spec.cli.flag}`, typed], { from: 'user' });
      expect(trainingChoice(command.opts()).hyper[key]).toBe(value);
    });

    it('has a place in the New-run form', () => {
      const placed = spec.control === 'length' ? 'length' : key;
      const section = SECTIONS.find((s) => s.fields.includes(placed as never));
      expect(section?.id, key).toBe(spec.section);
      if (key !== 'steps') expect(FIELD_KINDS[key as Exclude<HyperparameterKey, 'steps'>]).toBe(spec.kind);
      if (spec.kind === 'choice') expect(CHOICES[key as Exclude<HyperparameterKey, 'steps'>]).toEqual(spec.choices);
    });

    it('has a label and a help in English and 简体中文', () => {
      for (const id of [labelKey(key), helpKey(key)]) {
        const pair = (messages as Record<string, readonly [string, string]>)[id];
        expect(pair, id).toBeDefined();
        expect(pair[0].trim(), `${id} (en)`).not.toBe('');
        expect(pair[1].trim(), `${id} (zh)`).not.toBe('');
      }
    });
  });

  it('every field is on `rnnwb train --help` (the real binary)', async () => {
    const help = await runCli(['train', '--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const { spec } of FIELDS) if (spec.cli.flag !== null) expect(help.stdout).toContain(`--${spec.cli.flag} <${spec.cli.value}>`);
  });

  it('the form lays out every section and no field twice', () => {
    const placed = SECTIONS.flatMap((s) => s.fields);
    expect(new Set(placed).size).toBe(placed.length);
    expect(placed.filter((f) => f !== 'length').sort()).toEqual(HYPERPARAMETER_KEYS.filter((k) => fieldSpec(k).control !== 'length').sort());
  });
});

describe('the compare table', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-fields-'));
  const storage = Storage.open(path.join(dir, 'workbench.db'));
  afterAll(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function addRun(name: string, hyper: Partial<Hyperparameters>): number {
    const vocabulary = storage.vocabularies.getOrCreate(Array.from('abc'));
    const full = hyper as Hyperparameters;
    return storage.runs.create({
      name, corpusId: null, vocabularyId: vocabulary.id, hyper: full, totalSteps: 10,
      reproduction: { appVersion: 'test', kernelPath: null, threads: 1, corpusSha256: null, seed: 1, hyper: full },
    }).id;
  }

  it('has a row per field, in the table order, also for a run stored before a field existed', async () => {
    const { stride: _stride, ...older } = PRESETS.reference.hyper;
    const first = addRun('older', older);
    const second = addRun('newer', { ...PRESETS.reference.hyper, stride: 3 });
    const result = await compare(storage, new Playground(storage), { runIds: [first, second] });
    expect(result.hyperparameters.map((r) => r.field)).toEqual(['corpus', 'vocabulary', 'trained on', ...HYPERPARAMETER_KEYS]);
    const strideRow = result.hyperparameters.find((r) => r.field === 'stride')!;
    expect(strideRow.values).toEqual([null, 3]);
  });

  it('refuses a sample length by the one limit of samples', async () => {
    const id = addRun('sampled', PRESETS.reference.hyper);
    const tooLong = SAMPLE_LIMITS.length.max + 1;
    await expect(compare(storage, new Playground(storage), { runIds: [id], prompt: 'a', sampleLength: tooLong }))
      .rejects.toThrow(sampleLengthProblem(tooLong)!);
  });
});

describe('the drift the table ended', () => {
  const temp = tempDir('rw-fields-cli-');
  afterAll(() => temp.remove());

  it('the CLI takes --decay-every, --decay-gamma and --stride; the stride reaches the plan and the trainer', async () => {
    // 102 characters, window 10: a stride of 3 gives 31 windows (4 batches of 8) where the default gives 92 (12 batches).
    const trained = await runCli(['train', '--corpus', seedCorpus, '--preset', 'reference', '--epochs', '1', '--batch', '8',
      '--schedule', 'step', '--decay-every', '2', '--decay-gamma', '0.25', '--stride', '3', '--name', 'strided', '--json', '--db', temp.db]);
    expect(trained.code, trained.stderr).toBe(0);
    const events = jsonLines(trained.stdout);
    expect(events.at(-1)).toMatchObject({ type: 'done', step: 4 });
    const shown = await runCli(['show', 'strided', '--json', '--db', temp.db]);
    expect(shown.code, shown.stderr).toBe(0);
    const run = JSON.parse(shown.stdout) as { totalSteps: number; hyper: Hyperparameters };
    expect(run.hyper).toMatchObject({ schedule: 'step', decayEvery: 2, decayGamma: 0.25, stride: 3 });
    expect(run.totalSteps).toBe(4);
  }, 120_000);

  it('the form counts the windows and steps the engine cuts, stride included', () => {
    const vocab = Vocabulary.fromText(seedText);
    const ids = vocab.encode(seedText);
    const corpus = { chars: ids.length, distinct: vocab.size };
    for (const objective of ['next', 'every'] as const) {
      for (const stride of [0, 1, 3, 7]) {
        for (const valFraction of [0, 0.1, 0.3]) {
          const hyper: Hyperparameters = { ...DEFAULT_HYPERPARAMETERS, objective, stride, valFraction, batch: 8, epochs: 2 };
          const label = `${objective}, stride ${stride}, val ${valFraction}`;
          const engineWindows = makeWindows(splitCorpus(ids, valFraction).train, hyper.window, objective, stride).starts.length;
          const form = estimateRun(hyper, corpus);
          const plan = planTraining(hyper, corpus);
          expect(form.windows, label).toBe(engineWindows);
          expect(plan.trainWindows, label).toBe(engineWindows);
          expect(form.steps, label).toBe(plan.totalSteps);
          expect(form.steps, label).toBe(2 * Math.ceil(engineWindows / 8));
        }
      }
    }
  });

  it('checkpoint samples have one set of limits: the host, the engine and the form agree, in one wording', () => {
    const corpus = { start: seedText.slice(0, 10), vocab: [...new Set(seedText)] };
    const start = (sample: { length: number; temperature: number }) => () => validateJob({
      hyper: DEFAULT_HYPERPARAMETERS, corpusText: seedText, sample: { prompt: 'Hello', ...sample },
    });
    const host = (sample: { length: number; temperature: number }) => () => sampleSettings(corpus, { prompt: 'Hello', ...sample });
    const allowed = [{ length: 1, temperature: 0.01 }, { length: SAMPLE_LIMITS.length.max, temperature: SAMPLE_LIMITS.temperature.max }];
    for (const sample of allowed) {
      expect(host(sample), JSON.stringify(sample)).not.toThrow();
      expect(start(sample), JSON.stringify(sample)).not.toThrow();
    }
    const refused: [{ length: number; temperature: number }, string, string][] = [
      [{ length: 0, temperature: 1 }, 'sample.lengthError', '0'],
      [{ length: SAMPLE_LIMITS.length.max + 1, temperature: 1 }, 'sample.lengthError', String(SAMPLE_LIMITS.length.max + 1)],
      [{ length: 2.5, temperature: 1 }, 'sample.lengthError', '2.5'],
      [{ length: 10, temperature: 0 }, 'sample.temperatureError', '0'],
      [{ length: 10, temperature: 10.5 }, 'sample.temperatureError', '10.5'],
    ];
    for (const [sample, messageId, got] of refused) {
      const sentence = fillTemplate(messages[messageId as 'sample.lengthError'][0], { got });
      expect(host(sample), JSON.stringify(sample)).toThrow(sentence);
      expect(start(sample), JSON.stringify(sample)).toThrow(sentence);
    }
  });
});
