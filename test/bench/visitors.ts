/**
 * The visitor's journey (greeting, five answers, contact, demo, CTA) on both doors, run by N concurrent
 * visitors: over the socket (9 acknowledged events after the handshake that starts the session) and over
 * REST (10 requests, starting the session included).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { Socket } from 'socket.io-client';
import { CHAT_PROTOCOL } from '../../src/protocol/chat.js';
import { JOURNEY } from '../support/journey.js';
import { connect, f1, latencySummary } from './support.js';

/** The socket journey: event and payload of each step after the handshake. */
export const SOCKET_STEPS = JOURNEY;

/** The same journey over REST (the seed's endpoints), after POST /api/session/start. */
export const REST_STEPS: [string, (sessionId: string) => Record<string, unknown>][] = [
  ['/api/answer', (s) => ({ session_id: s, question_id: 1, answer_text: 'Yes, go ahead' })],
  ['/api/answer', (s) => ({ session_id: s, question_id: 2, answer_text: 'Kirana / Retail Shop' })],
  ['/api/answer', (s) => ({ session_id: s, question_id: 3, answer_text: 'Indore, Madhya Pradesh' })],
  ['/api/answer', (s) => ({ session_id: s, question_id: 4, answer_text: '2–5' })],
  ['/api/answer', (s) => ({ session_id: s, question_id: 5, answer_text: '₹50K – ₹2L' })],
  ['/api/answer', (s) => ({ session_id: s, question_id: 6, answer_text: 'Billing / Invoicing, Inventory' })],
  ['/api/lead/profile', (s) => ({ session_id: s, profile_data: { name: 'Bench', phone: '98765 43210' } })],
  ['/api/behavior', (s) => ({ session_id: s, action: 'clicked_demo' })],
  [
    '/api/behavior',
    (s) => ({ session_id: s, action: 'cta_clicked', metadata: { target_id: 'talk_to_sales' } }),
  ],
];

export interface LoadResult {
  journeys: number;
  seconds: number;
  /** Acknowledged events (socket) or answered requests (REST). */
  events: number;
  journeysPerSecond: number;
  /** Acknowledged events (socket) or answered requests (REST) per second. */
  eventsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failed: number;
}

/** A run as a row of the results table: journeys/s, events/s, p50, p95, p99 (ms), failed. */
export const loadRow = (name: string, r: LoadResult) => [
  name,
  f1(r.journeysPerSecond),
  f1(r.eventsPerSecond),
  f1(r.p50),
  f1(r.p95),
  f1(r.p99),
  r.failed,
];

/** Runs `total` journeys, `concurrency` at a time, each worker one visitor after another. */
async function run(
  total: number,
  concurrency: number,
  journey: (time: (work: () => Promise<boolean>) => Promise<void>) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const time = async (work: () => Promise<boolean>) => {
    const t0 = performance.now();
    const ok = await work().catch(() => false);
    latencies.push(performance.now() - t0);
    if (!ok) failed += 1;
  };
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next += 1;
      await journey(time);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const count = latencies.length;
  return {
    journeys: total,
    seconds,
    events: count,
    journeysPerSecond: total / seconds,
    eventsPerSecond: count / seconds,
    ...latencySummary(latencies),
    failed,
  };
}

/**
 * Socket journeys against `url` (a server's `/chat`, or a bare socket.io server); every emit waits for
 * its ack. Several urls (nodes of one cluster) take the journeys in turn, as a sticky load balancer
 * would spread the visitors.
 */
export function socketJourneys(
  url: string | string[],
  total: number,
  concurrency: number,
): Promise<LoadResult> {
  const urls = [url].flat();
  let started = 0;
  return run(total, concurrency, async (time) => {
    // As the widget does: the bot's reply comes in the ack (a bare server ignores the ask).
    const socket: Socket = await connect(urls[started++ % urls.length]!, { protocol: CHAT_PROTOCOL });
    for (const [event, payload] of SOCKET_STEPS)
      await time(async () => {
        const ack = await socket
          .timeout(30_000)
          .emitWithAck(event, { clientMessageId: randomBytes(6).toString('hex'), ...payload });
        return ack?.ok === true;
      });
    socket.close();
  });
}

/**
 * The transport on connections kept open: `clients` sockets, each with `inFlight` emits outstanding,
 * `total` acknowledged emits of the journey's steps in turn. No connection per journey, no waiting for
 * one ack before the next emit: what socket.io itself allows, as opposed to what a visitor's journey does.
 */
export async function pipelinedEmits(url: string, clients: number, inFlight: number, total: number) {
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(url)));
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    sockets.flatMap((socket) =>
      Array.from({ length: inFlight }, async () => {
        while (sent < total) {
          const [event, payload] = SOCKET_STEPS[sent++ % SOCKET_STEPS.length]!;
          const ack = await socket
            .timeout(30_000)
            .emitWithAck(event, { clientMessageId: 'pipelined', ...payload })
            .catch(() => null);
          if (ack?.ok !== true) failed += 1;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.close();
  return { clients, inFlight, emits: total, seconds, emitsPerSecond: total / seconds, failed };
}

/** Keep-alive connections for the REST load: node:http costs the load generator far less than fetch. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** A JSON POST on a kept-alive connection. */
function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** REST journeys: start a session, then every step, each request waiting for its answer. */
export function restJourneys(base: string, total: number, concurrency: number) {
  return run(total, concurrency, async (time) => {
    let sessionId = '';
    await time(async () => {
      const r = await postJson(`${base}/api/session/start`, { utm_source: 'bench' });
      sessionId = (r.json as { session_id?: string }).session_id ?? '';
      return r.status === 200 && sessionId !== '';
    });
    for (const [path, body] of REST_STEPS)
      await time(async () => (await postJson(`${base}${path}`, body(sessionId))).status === 200);
  });
}

/** The HTTP ceiling: the same number of JSON POSTs against a server that only answers `{ ok: true }`. */
export function bareRequests(base: string, total: number, concurrency: number) {
  return run(total, concurrency, async (time) => {
    for (let i = 0; i <= REST_STEPS.length; i++)
      await time(async () => (await postJson(`${base}/echo`, { session_id: 'x', i })).status === 200);
  });
}
