/** `rnnwb trash` and `rnnwb restore`: what `rm` deleted stays restorable until the trash is emptied. */
import type { Command } from 'commander';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput } from '../errors.ts';
import { printLine, printListing } from '../output.ts';

/** The sentence `rm` ends with. */
export function restoreHint(trashId: number): string {
  return `It is in the trash: \`rnnwb restore ${trashId}\` puts it back, \`rnnwb trash --empty\` deletes it for good.`;
}

export function registerTrashCommands(program: Command): void {
  addDbOption(
    program.command('trash')
      .description('list what rm deleted (restorable with rnnwb restore), or empty the trash for good')
      .option('--empty', 'delete everything in the trash for good')
      .option('--json', 'one JSON object per line'),
  ).action(async (options: { empty?: boolean; json?: boolean; db?: string }) => {
    await withWorkbench(options, async ({ api }) => {
      if (options.empty) {
        const { deleted } = await api.emptyTrash();
        printLine(`Emptied the trash: ${deleted} item(s) deleted for good.`);
        return;
      }
      printListing(await api.listTrash(), {
        json: options.json,
        whenEmpty: 'The trash is empty.',
        header: ['id', 'kind', 'name', 'runs', 'bytes', 'deleted'],
        row: (item) => [item.id, item.kind, item.name, item.runs, item.bytes, item.deletedAt],
      });
    }, { readOnly: !options.empty });
  });

  addDbOption(
    program.command('restore <id>').description('put back an item of the trash (its id in `rnnwb trash`)'),
  ).action(async (ref: string, options: { db?: string }) => {
    if (!/^#?\d+$/.test(ref)) throw badInput(`"${ref}" is not a trash id; \`rnnwb trash\` lists them.`);
    await withWorkbench(options, async ({ api }) => {
      const item = await api.restoreTrash(Number(ref.replace('#', '')));
      printLine(`Restored ${item.kind} "${item.name}"${item.runs > 1 ? ` with ${item.runs} runs` : ''}.`);
    });
  });
}
