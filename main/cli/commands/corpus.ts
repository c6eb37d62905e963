/** `rnnwb corpus add|list|rm`: the stored training texts. */
import path from 'node:path';
import type { Command } from 'commander';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput, namingForceFlag } from '../errors.ts';
import { checkUtf8, readCorpusBytes } from '../corpus-ref.ts';
import { importProgress } from '../import-progress.ts';
import { printJson, printLine, printListing } from '../output.ts';
import { restoreHint } from './trash.ts';

export function registerCorpusCommands(program: Command): void {
  const corpus = program.command('corpus').description('add, list and remove training texts');

  addDbOption(
    corpus.command('add <file>')
      .description('store a text file as a corpus (read byte-exact as UTF-8)')
      .option('--name <name>', 'corpus name (default: the file name)')
      .option('--json', 'print the stored corpus as JSON'),
  ).action(async (file: string, options: { name?: string; json?: boolean; db?: string }) => {
    const shown = path.basename(file);
    const progress = importProgress(shown);
    try {
      // Read in chunks and checked as bytes: a big file is never decoded into a string.
      const bytes = await readCorpusBytes(file, progress.read);
      progress.phase('checking');
      checkUtf8(bytes, shown);
      await withWorkbench(options, async ({ api }) => {
        progress.phase('storing');
        const stored = await api.addCorpus({ name: options.name ?? shown, bytes, source: path.resolve(file) });
        progress.end();
        if (options.json) printJson(stored);
        else if (stored.existing) printLine(`Already stored as corpus ${stored.id} "${stored.name}" (the same text); nothing added.`);
        else printLine(`Stored corpus ${stored.id} "${stored.name}": ${stored.chars} characters, ${stored.distinct} distinct.`);
      });
    } finally {
      progress.end();
    }
  });

  addDbOption(
    corpus.command('list')
      .description('list stored corpora')
      .option('--json', 'one JSON object per line'),
  ).action(async (options: { json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      printListing(await api.listCorpora(), {
        json: options.json,
        whenEmpty: 'No corpora yet. Add one with: rnnwb corpus add FILE',
        header: ['id', 'name', 'chars', 'distinct', 'runs', 'source'],
        row: (c) => [c.id, c.name, c.chars, c.distinct, c.runCount, c.source],
      });
    }, { readOnly: true });
  });

  addDbOption(
    corpus.command('rm <name>')
      .description('remove a corpus (refused while runs use it, unless --cascade)')
      .option('--cascade', 'also delete the runs that train on it')
      .option('--force', 'with --cascade: runs another workbench process is training are stopped there first'),
  ).action(async (name: string, options: { cascade?: boolean; force?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      const corpora = await api.listCorpora();
      const target = corpora.find((c) => c.name === name) ?? (/^#?\d+$/.test(name) ? corpora.find((c) => c.id === Number(name.replace('#', ''))) : undefined);
      if (!target) throw badInput(`No corpus named "${name}".`);
      if (!options.cascade) {
        // Ask first: say which runs train on it, and how to remove them with it.
        const impact = await api.corpusDeleteImpact(target.id);
        if (impact.runs.length > 0) {
          const names = impact.runs.map((r) => `"${r.name}"`).join(', ');
          throw badInput(`Corpus "${target.name}" is used by ${impact.runs.length} run(s): ${names}. Remove those first, or run \`rnnwb corpus rm ${JSON.stringify(target.name)} --cascade\` to delete it with them.`);
        }
      }
      const trashed = await api.deleteCorpus(target.id, { cascade: options.cascade ?? false, force: options.force ?? false })
        .catch((error: unknown) => { throw namingForceFlag(error); });
      printLine(`Removed corpus "${target.name}". ${restoreHint(trashed.id)}`);
    });
  });
}
