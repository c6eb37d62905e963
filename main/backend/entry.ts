/**
 * The backend process: the workbench service (SQLite, the run manager, inference) in an Electron
 * utility process, so the main process keeps only the window, the menus and the dialogs. Main sends
 * `open` once, then `connect` with a MessagePort for each page, and `close` at quit (protocol.ts).
 * The long calls run in query worker threads here (service option `offload`); engines are Node
 * children (a utility process cannot start utility processes).
 * Runs under plain Node too (a forked child, node-parent-port.ts): that is how it is tested.
 */
import path from 'node:path';
import { createWorkbenchService, type WorkbenchService } from '../api/service.ts';
import { nodeEngineLauncher } from '../runs/launcher.ts';
import { nodeParentPort } from './node-parent-port.ts';
import type { ParentPortLike, ToBackend } from './protocol.ts';
import { servePort } from './serve-port.ts';

/** Electron's parent port, in a utility process. */
const electronParent = (process as { parentPort?: ParentPortLike }).parentPort;
const parent = electronParent ?? nodeParentPort();

// Engines are forked from here with Electron's own binary: it must start them as Node.
if (process.versions.electron) process.env.ELECTRON_RUN_AS_NODE = '1';

let service: WorkbenchService | null = null;
let closing: Promise<void> | null = null;

parent.on('message', ({ data, ports }) => {
  const message = data as ToBackend;
  if (message.kind === 'open') open(message);
  else if (message.kind === 'connect') {
    const [port] = ports;
    if (service && port) servePort(service, port);
    else port?.close();
  } else if (message.kind === 'close') {
    closing ??= close();
  }
});

function open(message: Extract<ToBackend, { kind: 'open' }>): void {
  if (service) return;
  try {
    service = createWorkbenchService({
      dbPath: message.dbPath,
      launcher: nodeEngineLauncher(message.engineWorker ? { workerPath: message.engineWorker } : {}),
      // The built inspect worker sits beside the built engine worker (bin/bundle.js).
      inspectLauncher: message.engineWorker ? nodeEngineLauncher({ workerPath: path.join(path.dirname(message.engineWorker), 'inspect-worker.js') }) : undefined,
      // A long-lived host: it takes over queued runs, and quitting pauses running ones.
      adoptQueued: true,
      pauseOnClose: true,
      offload: true,
    });
    parent.postMessage({ kind: 'ready' });
  } catch (error) {
    parent.postMessage({ kind: 'failed', message: `Cannot open the workbench database "${message.dbPath}": ${error instanceof Error ? error.message : String(error)}` });
  }
}

async function close(): Promise<void> {
  try {
    await service?.close();
  } catch (error) {
    process.stderr.write(`Could not pause the runs cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  service = null;
  parent.postMessage({ kind: 'closed' });
  // Let the last message leave before the process ends.
  setImmediate(() => process.exit(0));
}
