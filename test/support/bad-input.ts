import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { type Body, http } from './http.js';
import { closeClients, visitor } from './sockets.js';

/**
 * What the tests of bad input (test/integration/bad-input-*.test.ts) share: a server with its rate
 * limits out of the way, the three sessions the refusals are tried on, and the check that nothing at
 * all was written (every table's rows and every lead row are the same afterwards).
 */

export const API_KEY = 'bad-input-api-key-0123456789';
export const UNKNOWN_SESSION = `sess_${'0123456789abcdef'.repeat(2)}`;

/** The three sessions the refusals are tried on: at the greeting, at the questions, declined. */
export interface Fixtures {
  greeting: string;
  questions: string;
  declined: string;
}

/**
 * For the tests of the file it is called in: the server, the fixtures (filled in before the first test;
 * 'rest-once' is an Idempotency-Key and 'socket-once' a clientMessageId already used once on the
 * questions session), and what to send and read with.
 */
export function badInputServer() {
  let t: TestApp | undefined;
  const started = () => {
    if (!t) throw new Error('the server starts in beforeAll: use it inside a test');
    return t;
  };
  const fx = {} as Fixtures;

  /** One request to the server (see `http`). */
  const send = (method: string, path: string, body?: Body, headers?: Record<string, string>) =>
    http(started().app.url, method, path, body, headers);

  /** A visitor's connection to a session (or a new one), once the server has put it in the session. */
  const chat = (sessionId?: string) => visitor(started().app.url, { auth: sessionId ? { sessionId } : {} });

  /** Every row of every table the conversation writes, as one comparable value. */
  const everything = async () => {
    const [row] = await started().db.query(
      `select (select count(*) from leads)::int as leads,
              (select count(*) from answers)::int as answers,
              (select count(*) from score_entries)::int as score_entries,
              (select count(*) from session_events)::int as session_events,
              (select count(*) from notifications)::int as notifications,
              (select count(*) from experiment_conversions)::int as conversions,
              (select md5(coalesce(string_agg(l::text, '|' order by l.id), '')) from leads l) as lead_rows`,
    );
    return row!;
  };

  /** Where a session's conversation stands. */
  const lead = async (id: string) => {
    const [row] = await started().db.query(
      'select version, last_seq, score, state from leads where id = $1',
      [id],
    );
    return row;
  };

  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '1000000',
      SOCKET_EVENTS_PER_SECOND: '10000',
      SOCKET_EVENT_BURST: '10000',
      API_KEYS: API_KEY,
    });
    const start = async () => (await send('POST', '/api/session/start', {})).body.session_id as string;
    fx.greeting = await start();
    fx.questions = await start();
    fx.declined = await start();
    const answer = (id: string, text: string) =>
      send('POST', '/api/answer', { session_id: id, question_id: 1, answer_text: text });
    expect((await answer(fx.questions, 'Yes, go ahead')).status).toBe(200);
    expect((await answer(fx.declined, 'No thanks')).status).toBe(200);
    // Ids used once, so that a different payload under them is a mismatch.
    const first = await send(
      'POST',
      '/api/behavior',
      { session_id: fx.questions, action: 'clicked_pricing' },
      { 'Idempotency-Key': 'rest-once' },
    );
    expect(first.status).toBe(200);
    const client = await chat(fx.questions);
    expect(
      await client.ack('visitor:action', { clientMessageId: 'socket-once', action: 'clicked_demo' }),
    ).toMatchObject({ ok: true });
    client.close();
  });
  afterEach(closeClients);
  afterAll(async () => {
    await t?.close();
  });

  return {
    fx,
    send,
    chat,
    everything,
    lead,
    get db() {
      return started().db;
    },
  };
}

/** Bytes of a JSON body with `raw` spliced in where `@@` stands (to send what JSON.stringify cannot). */
export function bytes(json: string, raw: number[]): Uint8Array {
  const [before, after] = json.split('@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]);
}
