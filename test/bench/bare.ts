/**
 * The ceilings' servers, each in a process of its own like the real server: `socket.io` acknowledges
 * every event with `{ ok: true }`; `http` (Fastify) answers every JSON POST to /echo with `{ ok: true }`.
 * `redis-relay` republishes every message of `<prefix>:ping` on `<prefix>:pong` (RELAY_PREFIX, REDIS_URL).
 * Prints `{"url": …}` once listening; SIGTERM stops it.
 *   node --import tsx test/bench/bare.ts socket.io|http|redis-relay
 */
import { createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

async function listen(): Promise<{ url: string; close(): Promise<void> }> {
  if (process.argv[2] === 'redis-relay') {
    const prefix = process.env.RELAY_PREFIX ?? 'bench';
    const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on('error', () => {});
    sub.on('message', (_channel, message) => void pub.publish(`${prefix}:pong`, message));
    await sub.subscribe(`${prefix}:ping`);
    return { url: '', close: async () => void (await Promise.all([pub.quit(), sub.quit()])) };
  }
  if (process.argv[2] === 'http') {
    const app = Fastify({ logger: false });
    app.post('/echo', async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  }
  const http = createServer();
  const io = new Server(http, { cors: { origin: '*' } });
  io.on('connection', (s) => s.onAny((_e, _p, ack) => typeof ack === 'function' && ack({ ok: true })));
  io.of('/chat').on('connection', (s) => {
    // The idle scenario's clients wait for a `session` event, as from the real server.
    s.emit('session', { sessionId: s.id });
    s.onAny((_e, _p, ack) => typeof ack === 'function' && ack({ ok: true }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const { port } = http.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => io.close(() => r())) };
}

const server = await listen();
console.log(JSON.stringify({ url: server.url }));
// The idle scenario asks for the heap after a full GC over IPC (the real server answers SIGUSR2 through
// the preloaded MEMORY_PROBE of support.ts; this process reads no stdin and keeps stderr for errors).
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
process.on('message', (m) => {
  if (m !== 'memory') return;
  gc();
  process.send?.(process.memoryUsage());
});
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
