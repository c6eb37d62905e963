/**
 * One page's MessagePort, served by the backend: each call frame goes through the dispatcher (the
 * same check and errors as the browser host's WebSocket), and run events go down the same port until
 * the page goes away (a reload or a closed window closes its port).
 */
import type { WorkbenchApi } from '../api/contract.ts';
import { answerCallFrame } from '../api/dispatch.ts';
import type { ServerFrame } from '../api/wire.ts';
import type { PortLike } from './protocol.ts';

export function servePort(api: WorkbenchApi, port: PortLike): void {
  const send = (frame: ServerFrame) => port.postMessage(frame);
  const unsubscribe = api.onRunEvent((event) => send({ kind: 'event', event }));
  port.on('message', ({ data }) => {
    void answerCallFrame(api, data).then(send);
  });
  port.on('close', unsubscribe);
  port.start();
}
