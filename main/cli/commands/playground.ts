/** `rnnwb eval`, `predict`, `generate`: use a checkpoint. */
import type { Command } from 'commander';
import { addDbOption, withWorkbench } from '../context.ts';
import { decodeExact, resolveCorpusRef } from '../corpus-ref.ts';
import { badInput } from '../errors.ts';
import { parseNumber, parseWholeNumber } from '../hyper-flags.ts';
import { printJson, printLine } from '../output.ts';

const CHECKPOINT_HELP = 'a run (its best checkpoint) or RUN@STEP, RUN@best, RUN@final, #ID';

export function registerPlaygroundCommands(program: Command): void {
  addDbOption(
    program.command('eval <checkpoint>')
      .description(`loss and bits per character of a checkpoint on another text (${CHECKPOINT_HELP})`)
      .requiredOption('--corpus <name|file>', 'a stored corpus name, or a text file (not stored)')
      .option('--json', 'the result as one JSON object'),
  ).action(async (ref: string, options: { corpus: string; json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const checkpoint = await api.resolveCheckpoint(ref);
      const corpus = await resolveCorpusRef(api, options.corpus);
      const result = await api.evaluate(corpus.kind === 'stored'
        ? { checkpointId: checkpoint.id, corpusId: corpus.corpus.id }
        : { checkpointId: checkpoint.id, text: decodeExact(corpus.bytes, corpus.name) });
      if (options.json) return printJson(result);
      printLine(`${checkpoint.runName}@${checkpoint.step} on ${options.corpus}: loss ${result.loss.toFixed(4)} nats, ${result.bitsPerChar.toFixed(4)} bits per character, accuracy ${(result.accuracy * 100).toFixed(1)}% over ${result.windows} windows.`);
    }, { readOnly: true });
  });

  addDbOption(
    program.command('predict <checkpoint> <text...>')
      .description(`the most likely next characters after TEXT (one line per TEXT; ${CHECKPOINT_HELP})`)
      .option('--top <k>', 'how many characters to list', parseWholeNumber, 5)
      .option('--json', 'one JSON line per TEXT: {"checkpoint","text","top":[{"char","p"}]}'),
  ).action(async (ref: string, texts: string[], options: { top: number; json?: boolean; db?: string }) => {
    if (options.top < 1) throw badInput('--top must be at least 1.');
    await withWorkbench(options, async ({ api }) => {
      const checkpoint = await api.resolveCheckpoint(ref);
      for (const text of texts) {
        const result = await api.predict({ checkpointId: checkpoint.id, text, k: options.top });
        const top = [...result.top].sort((a, b) => b.p - a.p);
        if (options.json) {
          printJson({ checkpoint: checkpoint.id, run: checkpoint.runName, step: checkpoint.step, text: result.text, top, ...(result.note ? { note: result.note } : {}) });
        } else {
          printLine(`${JSON.stringify(text)} → ${top.map((t) => `${JSON.stringify(t.char)} ${(t.p * 100).toFixed(1)}%`).join(', ')}`);
          if (result.note) process.stderr.write(`note: ${result.note}\n`);
        }
      }
    }, { readOnly: true });
  });

  addDbOption(
    program.command('generate <checkpoint>')
      .description(`sample text from a checkpoint (${CHECKPOINT_HELP})`)
      .option('--prime <text>', "text to start from (default: the run's sample prompt, the start of its corpus)", '')
      .option('--length <n>', 'characters to generate', parseWholeNumber, 200)
      .option('--temperature <t>', 'sampling temperature (0 = always the most likely)', parseNumber, 1)
      .option('--top-k <k>', 'sample among the K most likely only', parseWholeNumber)
      .option('--top-p <p>', 'sample among the most likely whose probabilities add up to P', parseNumber)
      .option('--seed <n>', 'random seed (same seed, same text)', parseWholeNumber)
      .option('--json', 'the result as one JSON object'),
  ).action(async (ref: string, options: { prime: string; length: number; temperature: number; topK?: number; topP?: number; seed?: number; json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const checkpoint = await api.resolveCheckpoint(ref);
      const result = await api.generate({
        checkpointId: checkpoint.id, prime: options.prime, length: options.length,
        temperature: options.temperature, topK: options.topK, topP: options.topP, seed: options.seed,
      });
      if (options.json) return printJson({ checkpoint: checkpoint.id, prime: result.prime ?? options.prime, text: result.text });
      printLine(result.text);
    }, { readOnly: true });
  });
}
