/** `rnnwb serve`: the workbench in a browser, on 127.0.0.1 only. */
import path from 'node:path';
import type { Command } from 'commander';
import { buildRendererIfStale } from '../../build/renderer.ts';
import { DEFAULT_RENDERER_DIR } from '../../transport/built-ui.ts';
import { startBrowserHost } from '../../transport/ws-server.ts';
import { addDbOption, withWorkbench } from '../context.ts';
import { badInput } from '../errors.ts';
import { parseWholeNumber } from '../hyper-flags.ts';

/**
 * The built user interface: dist/renderer, or $RW_RENDERER_DIR (a folder of its own: a rebuild empties
 * it), which lets a test serve a fresh build without touching the one the app and other tests use.
 */
function rendererDir(): string {
  const chosen = process.env.RW_RENDERER_DIR;
  return chosen ? path.resolve(chosen) : DEFAULT_RENDERER_DIR;
}

export function registerServeCommand(program: Command): void {
  addDbOption(
    program.command('serve')
      .description('serve the workbench to a browser on 127.0.0.1; prints the address (with its access token)')
      .option('--port <n>', 'port (0 = any free port)', parseWholeNumber, 0)
      .option('--no-build', 'serve the user interface as it is built, without building it when missing or stale'),
  ).action(async (options: { port: number; build: boolean; db?: string }) => {
    if (options.port < 0 || options.port > 65535) throw badInput('--port must be from 0 to 65535.');
    const uiDir = rendererDir();
    // dist/ is not in git, so a fresh clone has no UI until this builds it (one line on stderr while it does).
    // A failed build is reported and serving goes on: the page then says the UI is not built.
    if (options.build) buildRendererIfStale(uiDir);
    await withWorkbench(options, async ({ api }) => {
      const host = await startBrowserHost({ api, port: options.port, rendererDir: uiDir }).catch((error: NodeJS.ErrnoException) => {
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
