/**
 * A share of the idle scenario's visitors, in a process of its own: opens CLIENTS websocket connections
 * to CLIENTS_URL (CLIENTS_CONCURRENCY handshakes at a time), each waiting for its `session` event, tells
 * the parent `{ ready, failed, seconds }` over IPC, holds them until the parent says `close`.
 *   spawned by idle.ts with node --import tsx
 */
import { io, type Socket } from 'socket.io-client';

const url = process.env.CLIENTS_URL ?? '';
const count = Number(process.env.CLIENTS ?? 0);
const concurrency = Number(process.env.CLIENTS_CONCURRENCY ?? 50);
const sockets: Socket[] = [];
let failed = 0;
let next = 0;

function open(): Promise<void> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60_000 });
  sockets.push(socket);
  return new Promise<void>((resolve) => {
    socket.once('session', () => resolve());
    socket.once('connect_error', () => {
      failed += 1;
      resolve();
    });
  });
}

const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      await open();
    }
  }),
);
process.send?.({ ready: count - failed, failed, seconds: (performance.now() - started) / 1000 });
process.on('message', (m) => {
  if (m !== 'close') return;
  for (const s of sockets) s.close();
  setTimeout(() => process.exit(0), 200);
});
