/** `rnnwb serve`: the workbench in a browser, on 127.0.0.1 only. */
import type { Command } from 'commander';
import { startBrowserHost } from '../../transport/ws-server.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput } from '../errors.ts';
import { parseWholeNumber } from '../hyper-flags.ts';

export function registerServeCommand(program: Command): void {
  addDbOption(
    program.command('serve')
      .description('serve the workbench to a browser on 127.0.0.1; prints the address (with its access token)')
      .option('--port <n>', 'port (0 = any free port)', parseWholeNumber, 0),
  ).action(async (options: { port: number; db?: string }) => {
    if (options.port < 0 || options.port > 65535) throw badInput('--port must be from 0 to 65535.');
    await withWorkbench(options, async ({ api }) => {
      const host = await startBrowserHost({ api, port: options.port }).catch((error: NodeJS.ErrnoException) => {
        throw badInput(error.code === 'EADDRINUSE' ? `Port ${options.port} is in use.` : `Cannot listen: ${error.message}`);
      });
      process.stdout.write(`${host.url}\n`);
      // Runs go on until Ctrl-C; the service then pauses them (they can be resumed later).
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await host.close();
    }, { host: true });
  });
}
