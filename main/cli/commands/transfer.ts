/** `rnnwb export` and `import`: checkpoints as .safetensors files. */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { VocabularySource } from '../../api/contract.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { decodeExact } from '../corpus-ref.ts';
import { badInput } from '../errors.ts';
import { printJson, printLine } from '../output.ts';

export function registerTransferCommands(program: Command): void {
  addDbOption(
    program.command('export <checkpoint> <file>')
      .description('write a checkpoint (RUN, RUN@STEP, RUN@best, RUN@final, #ID) to a .safetensors file; an existing file is kept unless --force')
      .option('--with-optimizer', 'include the optimizer state (to continue training elsewhere)')
      .option('--force', 'replace <file> if it already exists'),
  ).action(async (ref: string, file: string, options: { withOptimizer?: boolean; force?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const checkpoint = await api.resolveCheckpoint(ref);
      const exported = await api.exportCheckpoint({ checkpointId: checkpoint.id, withOptimizer: options.withOptimizer ?? false });
      await writeExport(file, exported.bytes, options.force ?? false);
      printLine(`Wrote ${checkpoint.runName}@${checkpoint.step} (${exported.bytes.length} bytes) to ${file}.`);
    }, { readOnly: true });
  });

  addDbOption(
    program.command('import <file>')
      .description('store a .safetensors checkpoint as a new run')
      .option('--name <name>', 'run name')
      .option('--vocab <file>', 'the vocabulary when the file has none: a .json array of characters, or the training text')
      .option('--json', 'the new run as one JSON object'),
  ).action(async (file: string, options: { name?: string; vocab?: string; json?: boolean; db?: string }) => {
    const bytes = await readBytes(file);
    const vocab = options.vocab === undefined ? undefined : await readVocabulary(options.vocab);
    await withWorkbench(options, async ({ api }) => {
      const run = await api.importCheckpoint({ name: options.name, bytes, vocab });
      if (options.json) return printJson(run);
      printLine(`Imported run ${run.id} "${run.name}": ${run.hyper.cell}, ${run.parameterCount} parameters, vocabulary of ${run.vocabSize}.`);
    });
  });
}

/**
 * Never writes over an existing file unless `force`. A replacement is written beside the old file and
 * renamed over it, so a write that fails half way (a full disk) leaves the old file as it was.
 */
async function writeExport(file: string, bytes: Uint8Array, force: boolean): Promise<void> {
  const target = force ? `${file}.${process.pid}.partial` : file;
  try {
    // 'wx': the existence check and the creation are one step, so nothing can slip in between.
    await writeFile(target, bytes, { flag: 'wx' });
    if (force) await rename(target, file);
  } catch (error) {
    if (force) await rm(target, { force: true });
    if (!force && (error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw badInput(`"${file}" already exists; nothing was written. Add --force to replace it.`);
    }
    throw badInput(`Cannot write "${file}": ${(error as Error).message}`);
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    throw badInput(`Cannot read "${file}".`);
  }
}

/** A .json file holds an array of one-character strings; any other file is training text. */
async function readVocabulary(file: string): Promise<VocabularySource> {
  const bytes = await readBytes(file);
  const text = decodeExact(bytes, path.basename(file));
  if (path.extname(file).toLowerCase() !== '.json') return { text };
  let chars: unknown;
  try {
    chars = JSON.parse(text);
  } catch {
    throw badInput(`"${path.basename(file)}" is not valid JSON.`);
  }
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === 'string' && [...c].length === 1)) {
    throw badInput(`"${path.basename(file)}" must hold an array of one-character strings.`);
  }
  return { chars };
}
