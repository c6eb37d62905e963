/**
 * A stand-in for the 'electron' module (a third-party API, not our code), as far as the app's main
 * process and preload use it, for tests without the Electron binary: IPC between one page and main,
 * MessageChannelMain, a utilityProcess that is a real Node child running our backend (ports handed to it
 * are relayed over its IPC channel, the other half of main/backend/node-parent-port.ts), contextBridge
 * and BrowserWindow. Load it in `vi.hoisted` and give `module` to `vi.mock('electron')`.
 */
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Envelope } from '../../main/backend/node-parent-port.ts';

/** MessagePortMain (on/start/close, 'close' when either end closes) and the DOM port's `onmessage`, in one. */
export class StandInPort extends EventEmitter {
  peer: StandInPort | null = null;
  private started = false;
  private closed = false;
  private readonly queue: unknown[] = [];
  private onmessageHandler: ((event: { data: unknown }) => void) | null = null;

  get onmessage() {
    return this.onmessageHandler;
  }
  /** Setting onmessage starts the port, as in the DOM. */
  set onmessage(handler: ((event: { data: unknown }) => void) | null) {
    this.onmessageHandler = handler;
    this.start();
  }
  postMessage(data: unknown): void {
    if (this.closed || !this.peer) return;
    const peer = this.peer;
    // Asynchronous, and a structured clone, as across a real port.
    const copy = structuredClone(data);
    setImmediate(() => peer.deliver(copy));
  }
  start(): void {
    this.started = true;
    for (const data of this.queue.splice(0)) this.dispatch(data);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
    const peer = this.peer;
    if (peer) setImmediate(() => peer.close());
  }
  private deliver(data: unknown): void {
    if (this.closed) return;
    if (this.started) this.dispatch(data);
    else this.queue.push(data);
  }
  private dispatch(data: unknown): void {
    this.emit('message', { data });
    this.onmessageHandler?.({ data });
  }
}

export class MessageChannelMain {
  readonly port1 = new StandInPort();
  readonly port2 = new StandInPort();
  constructor() {
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
  }
}

const TSX_LOADER = import.meta.resolve('tsx');

/** utilityProcess.fork: a Node child (through tsx) speaking node-parent-port.ts's envelopes. */
function forkUtility(modulePath: string, args: string[] = []) {
  const child = fork(modulePath, args, { execArgv: ['--import', TSX_LOADER], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const relayed = new Map<number, StandInPort>();
  let nextPort = 1;
  const events = new EventEmitter();
  const send = (envelope: Envelope) => {
    if (child.connected) child.send(envelope);
  };
  child.on('message', (envelope: Envelope) => {
    if (envelope.via === 'parent') events.emit('message', envelope.data);
    else if (envelope.via === 'port') relayed.get(envelope.port)?.postMessage(envelope.data);
    else relayed.get(envelope.port)?.close();
  });
  child.on('spawn', () => events.emit('spawn'));
  child.on('exit', (code) => {
    for (const port of relayed.values()) port.close();
    events.emit('exit', code ?? 1);
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage(message: unknown, transfer: StandInPort[] = []) {
      const ids = transfer.map((port) => {
        const id = nextPort++;
        relayed.set(id, port);
        port.on('message', ({ data }: { data: unknown }) => send({ via: 'port', port: id, data }));
        port.on('close', () => {
          relayed.delete(id);
          send({ via: 'port-close', port: id });
        });
        port.start();
        return id;
      });
      send({ via: 'parent', data: message, ports: ids });
    },
    kill: () => child.kill('SIGKILL'),
    on: (event: string, listener: (...a: any[]) => void) => events.on(event, listener),
    once: (event: string, listener: (...a: any[]) => void) => events.once(event, listener),
  };
}

type IpcListener = (event: any, ...args: unknown[]) => void;

export interface StandIn {
  /** The page's URL, as main's IPC sees its frame. */
  page: { url: string };
  /** What the preload exposed to the page. */
  exposed: Record<string, unknown>;
  /** Main's IPC listeners by channel. */
  mainListeners: Map<string, IpcListener[]>;
  /** Every utility process started. */
  children: ReturnType<typeof forkUtility>[];
  windows: { options: Record<string, unknown>; openHandler?: () => unknown; listeners: Map<string, (...a: unknown[]) => void>; loaded?: string; progress: number[] }[];
  /** The template of the application menu last set (Menu.setApplicationMenu). */
  applicationMenu: { current: unknown[] | null };
  /** Every OS notification shown (Notification#show). */
  notifications: { title: string; body: string }[];
  module: Record<string, unknown>;
}

export function createElectronStandIn(): StandIn {
  const page = { url: '' };
  const exposed: Record<string, unknown> = {};
  const mainListeners = new Map<string, IpcListener[]>();
  const rendererListeners = new Map<string, IpcListener[]>();
  const children: StandIn['children'] = [];
  const windows: StandIn['windows'] = [];
  const notifications: StandIn['notifications'] = [];
  const applicationMenu: StandIn['applicationMenu'] = { current: null };

  const toRenderer = (channel: string, message: unknown, transfer: StandInPort[] = []) => {
    const listeners = rendererListeners.get(channel) ?? [];
    rendererListeners.set(channel, listeners.filter((l) => !(l as { once?: boolean }).once));
    setImmediate(() => {
      for (const listener of listeners) listener({ ports: transfer }, message);
    });
  };
  const addRendererListener = (channel: string, listener: IpcListener, once: boolean) => {
    const wrapped: IpcListener & { once?: boolean } = (...a) => listener(...a);
    wrapped.once = once;
    rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), wrapped]);
  };

  const module = {
    ipcMain: {
      on: (channel: string, listener: IpcListener) => mainListeners.set(channel, [...(mainListeners.get(channel) ?? []), listener]),
      removeListener: (channel: string, listener: IpcListener) => mainListeners.set(channel, (mainListeners.get(channel) ?? []).filter((l) => l !== listener)),
    },
    ipcRenderer: {
      send: (channel: string, ...args: unknown[]) => {
        // The frame that sent it: the page, at the URL the test set.
        const frame = { url: page.url, postMessage: toRenderer };
        setImmediate(() => {
          for (const listener of mainListeners.get(channel) ?? []) listener({ senderFrame: frame, sender: frame }, ...args);
        });
      },
      on: (channel: string, listener: IpcListener) => addRendererListener(channel, listener, false),
      once: (channel: string, listener: IpcListener) => addRendererListener(channel, listener, true),
    },
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => { exposed[name] = api; } },
    MessageChannelMain,
    utilityProcess: {
      fork: (modulePath: string, args?: string[]) => {
        const child = forkUtility(modulePath, args);
        children.push(child);
        return child;
      },
    },
    BrowserWindow: class {
      readonly webContents;
      constructor(options: Record<string, unknown>) {
        const record: StandIn['windows'][number] = { options, listeners: new Map(), progress: [] };
        windows.push(record);
        this.webContents = {
          setWindowOpenHandler: (fn: () => unknown) => { record.openHandler = fn; },
          on: (event: string, fn: (...a: unknown[]) => void) => { record.listeners.set(event, fn); },
        };
        (this as unknown as { loadURL: (url: string) => Promise<void> }).loadURL = async (url: string) => { record.loaded = url; };
        (this as unknown as { setProgressBar: (p: number) => void }).setProgressBar = (progress: number) => { record.progress.push(progress); };
      }
      once(): void {}
      isDestroyed(): boolean {
        return false;
      }
    },
    app: { getVersion: () => '0.1.0' },
    Menu: {
      buildFromTemplate: (template: unknown[]) => ({ template }),
      setApplicationMenu: (menu: { template: unknown[] }) => { applicationMenu.current = menu.template; },
    },
    Notification: class {
      static isSupported(): boolean {
        return true;
      }
      constructor(private readonly options: { title: string; body: string }) {}
      show(): void {
        notifications.push({ title: this.options.title, body: this.options.body });
      }
    },
  };
  return { page, exposed, mainListeners, children, windows, notifications, applicationMenu, module };
}
