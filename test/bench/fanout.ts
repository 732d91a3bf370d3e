/**
 * Fan-out: two server processes on one PostgreSQL and one Redis (a private database and key prefix).
 * SESSIONS live visitors on node A are driven at a steady RATE of events per second (the journey's
 * steps in order); AGENTS agent sockets on node B each watch a share of the sessions. Measured: from the
 * visitor's ack (and from its emit) to the agent's receipt of that commit's first `session:event`.
 * Baseline in the same run: a raw Redis pub/sub round trip between two processes at the same rate.
 *   npm run bench -- fanout     (BENCH_FANOUT_SESSIONS, BENCH_FANOUT_AGENTS, BENCH_FANOUT_RATE, BENCH_FANOUT_EVENTS)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { AgentTokens } from '../../src/agents/tokens.js';
import { CLUSTER_SECRET } from '../support/cluster.js';
import { sleep } from '../support/time.js';
import {
  bareServer,
  connect,
  envNumber,
  f1,
  latencySummary,
  machine,
  redisUrl,
  report,
  runMain,
  startServer,
  table,
  today,
  usage,
  withDatabase,
} from './support.js';
import { SOCKET_STEPS } from './visitors.js';

const SESSIONS = envNumber('BENCH_FANOUT_SESSIONS', 1000);
const AGENTS = envNumber('BENCH_FANOUT_AGENTS', 4);
const RATE = envNumber('BENCH_FANOUT_RATE', 200);
const EVENTS = Math.min(envNumber('BENCH_FANOUT_EVENTS', 3000), SESSIONS * SOCKET_STEPS.length);
/** The target for the agent's p99, in ms. */
const TARGET_P99 = 100;

/** Runs `work` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/** Calls `send` `total` times at `rate` per second, each when it is due; resolves when all have settled. */
async function paced(total: number, rate: number, send: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
  return (performance.now() - started) / 1000;
}

/** Redis pub/sub round trip between this process and a relay process, `EVENTS` messages at `RATE`. */
async function redisRoundTrip() {
  const prefix = `lcbbench${randomBytes(4).toString('hex')}`;
  const relay = await bareServer('redis-relay', { RELAY_PREFIX: prefix, REDIS_URL: redisUrl() });
  const pub = new Redis(redisUrl());
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', () => {});
  const waiting = new Map<string, (t: number) => void>();
  sub.on('message', (_c, m: string) => waiting.get(m)?.(performance.now()));
  await sub.subscribe(`${prefix}:pong`);
  const rtt: number[] = [];
  try {
    await paced(EVENTS, RATE, async (i) => {
      const id = String(i);
      const back = new Promise<number>((resolve) => waiting.set(id, resolve));
      const t0 = performance.now();
      await pub.publish(`${prefix}:ping`, id);
      rtt.push((await Promise.race([back, sleep(5000).then(() => Number.NaN)])) - t0);
      waiting.delete(id);
    });
  } finally {
    await Promise.all([pub.quit(), sub.quit()]);
    await relay.close();
  }
  const lost = rtt.filter(Number.isNaN).length;
  return { ...latencySummary(rtt.filter((x) => !Number.isNaN(x))), lost };
}

/** Deletes what the nodes left under their prefix (the live-session registry's hash, say). */
async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  redis.on('error', () => {});
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

interface Sample {
  emit: number;
  ack?: number;
  agent?: number;
  ok?: boolean;
}

runMain(async () => {
  const baseline = await redisRoundTrip();

  await withDatabase(async (dbUrl) => {
    const prefix = `lcbbench${randomBytes(4).toString('hex')}`;
    const env = { DATABASE_URL: dbUrl, REDIS_URL: redisUrl(), REDIS_PREFIX: prefix };
    const a = await startServer(env, 'bench-node-a');
    const b = await startServer(env, 'bench-node-b').catch(async (err: unknown) => {
      await a.stop();
      throw err;
    });
    const sockets: Socket[] = [];
    try {
      // Live sessions on node A.
      const sessions: { socket: Socket; id: string; step: number }[] = [];
      await pool(
        Array.from({ length: SESSIONS }, () => 0),
        50,
        async () => {
          const socket = io(`${a.url}/chat`, {
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
          });
          sockets.push(socket);
          // Listening before the handshake ends: `session` may arrive in the same read as the connect.
          const hello = await new Promise<{ sessionId: string }>((resolve, reject) => {
            socket.once('session', resolve);
            socket.once('connect_error', reject);
          });
          sessions.push({ socket, id: hello.sessionId, step: 0 });
        },
      );

      // Agents on node B, each watching every AGENTS-th session.
      const current = new Map<string, Sample>();
      const tokens = new AgentTokens(CLUSTER_SECRET);
      const agents = await Promise.all(
        Array.from({ length: AGENTS }, async (_, i) => {
          const token = await tokens.sign({ id: `bench-agent-${i}`, name: `Agent ${i}`, role: 'agent' });
          const socket = await connect(`${b.url}/agents`, { token });
          sockets.push(socket);
          socket.on('session:event', (e: { sessionId: string }) => {
            const t = performance.now();
            const s = current.get(e.sessionId);
            if (s && s.agent === undefined) s.agent = t;
          });
          return socket;
        }),
      );
      const watchStarted = performance.now();
      let watchFailed = 0;
      await pool(sessions, 4 * AGENTS, async (s, i) => {
        const ack = await agents[i % AGENTS]!.timeout(30_000).emitWithAck('session:watch', {
          sessionId: s.id,
        });
        if (!ack?.ok) watchFailed += 1;
      });
      const watchSeconds = (performance.now() - watchStarted) / 1000;

      // The steady drive: session after session, the journey's next step each time.
      const samples: Sample[] = [];
      const cpuBefore = [usage(a.child.pid!).cpu, usage(b.child.pid!).cpu, usage(process.pid).cpu];
      const seconds = await paced(EVENTS, RATE, async (i) => {
        const s = sessions[i % sessions.length]!;
        const [event, payload] = SOCKET_STEPS[s.step++]!;
        const sample: Sample = { emit: performance.now() };
        samples.push(sample);
        current.set(s.id, sample);
        const ack = await s.socket
          .timeout(30_000)
          .emitWithAck(event, { clientMessageId: randomBytes(6).toString('hex'), ...payload })
          .catch(() => undefined);
        sample.ack = performance.now();
        sample.ok = ack?.ok === true;
      });
      const cpuAfter = [usage(a.child.pid!).cpu, usage(b.child.pid!).cpu, usage(process.pid).cpu];
      const end = performance.now() + 5000;
      while (samples.some((s) => s.ok && s.agent === undefined) && performance.now() < end) await sleep(50);

      const delivered = samples.filter((s) => s.ok && s.agent !== undefined);
      const ackToAgent = latencySummary(delivered.map((s) => s.agent! - s.ack!));
      const emitToAgent = latencySummary(delivered.map((s) => s.agent! - s.emit));
      const ack = latencySummary(samples.map((s) => s.ack! - s.emit));
      const failed = samples.filter((s) => !s.ok).length;
      const missing = samples.filter((s) => s.ok && s.agent === undefined).length;
      const cpu = cpuAfter.map((c, i) => (c - cpuBefore[i]!) / seconds);
      const ratio = {
        ackToAgentP99: ackToAgent.p99 / baseline.p99,
        emitToAgentP99: emitToAgent.p99 / baseline.p99,
      };
      const ms = (x: { p50: number; p95: number; p99: number }) => [f1(x.p50), f1(x.p95), f1(x.p99)];
      report(
        'fanout',
        {
          sessions: SESSIONS,
          agents: AGENTS,
          rate: RATE,
          events: EVENTS,
          seconds,
          baseline,
          ack,
          ackToAgent,
          emitToAgent,
          failed,
          missing,
          watchFailed,
          watchSeconds,
          serverCpuCores: cpu,
          ratio,
        },
        [
          `## fanout (${today()}, ${machine()}; 2 nodes, ${SESSIONS} live sessions on A, ${AGENTS} agents on B watching ${SESSIONS / AGENTS} each, ${EVENTS} events at ${RATE}/s)`,
          '',
          table(
            ['path', 'p50 ms', 'p95 ms', 'p99 ms', 'p99 against the Redis round trip'],
            [
              ['raw Redis pub/sub round trip, two processes (baseline)', ...ms(baseline), '1.0×'],
              [
                'visitor emit → ack (node A, committed)',
                ...ms(ack),
                `${(ack.p99 / baseline.p99).toFixed(1)}×`,
              ],
              [
                'visitor ack → agent receipt (node B)',
                ...ms(ackToAgent),
                `${ratio.ackToAgentP99.toFixed(1)}×`,
              ],
              [
                'visitor emit → agent receipt (node B)',
                ...ms(emitToAgent),
                `${ratio.emitToAgentP99.toFixed(1)}×`,
              ],
            ],
          ),
          '',
          `${samples.length - failed} of ${samples.length} events acked, ${missing} never reached an agent, ${watchFailed} watches refused; ` +
            `${SESSIONS} watches took ${f1(watchSeconds)} s. CPU cores busy: node A ${cpu[0]!.toFixed(2)}, node B ${cpu[1]!.toFixed(2)}, this load generator ${cpu[2]!.toFixed(2)}. ` +
            `Target: agent p99 < ${TARGET_P99} ms (ack → agent here: ${f1(ackToAgent.p99)} ms; negative values: the agent had it before the visitor's ack).`,
        ].join('\n'),
      );
    } finally {
      for (const s of sockets) s.close();
      await Promise.all([a.stop(), b.stop()]);
      await dropKeys(prefix);
    }
  });
});
