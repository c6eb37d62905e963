/**
 * The backend's parent port when it runs as a plain Node child (`fork` with `serialization: 'advanced'`)
 * instead of an Electron utility process: Node's IPC channel cannot transfer MessagePorts, so the parent
 * relays each port it hands over, and both sides tag messages with the port's number (`Envelope`).
 * This is how tests drive the real backend process without the Electron binary.
 */
import { EventEmitter } from 'node:events';
import type { ParentPortLike, PortLike } from './protocol.ts';

/** One message on the child's IPC channel: for the parent port itself, or for relayed port number `port`. */
export type Envelope =
  | { via: 'parent'; data: unknown; ports?: number[] }
  | { via: 'port'; port: number; data: unknown }
  | { via: 'port-close'; port: number };

/** A relayed port, child side: what is posted goes to the parent, which passes it on to the other end. */
class RelayedPort extends EventEmitter implements PortLike {
  private open = true;
  constructor(private readonly id: number, private readonly send: (envelope: Envelope) => void) {
    super();
  }
  postMessage(data: unknown): void {
    if (this.open) this.send({ via: 'port', port: this.id, data });
  }
  start(): void {}
  close(): void {
    if (!this.open) return;
    this.send({ via: 'port-close', port: this.id });
    this.ended();
  }
  /** The other end went away (or this one closed): 'close' once, as MessagePortMain does. */
  ended(): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close');
  }
}

/** `process` as a parent port. When the parent goes away, a `close` message arrives (the backend then closes itself). */
export function nodeParentPort(): ParentPortLike {
  if (!process.send) throw new Error('The backend was started without an IPC channel (fork it, or run it in Electron).');
  const send = (envelope: Envelope) => {
    if (process.connected) process.send!(envelope);
  };
  const ports = new Map<number, RelayedPort>();
  const events = new EventEmitter();
  process.on('message', (envelope: Envelope) => {
    if (envelope.via === 'parent') {
      const given = (envelope.ports ?? []).map((id) => {
        const port = new RelayedPort(id, send);
        ports.set(id, port);
        port.once('close', () => ports.delete(id));
        return port;
      });
      events.emit('message', { data: envelope.data, ports: given });
    } else if (envelope.via === 'port') {
      ports.get(envelope.port)?.emit('message', { data: envelope.data });
    } else {
      ports.get(envelope.port)?.ended();
    }
  });
  process.on('disconnect', () => {
    for (const port of ports.values()) port.ended();
    events.emit('message', { data: { kind: 'close' }, ports: [] });
  });
  return {
    postMessage: (message) => send({ via: 'parent', data: message }),
    on: (event, listener) => events.on(event, listener),
  };
}
