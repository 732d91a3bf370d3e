import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorAck } from '../../src/protocol/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { type Body, http } from '../support/http.js';
import type { VisitorEvent } from '../support/journey.js';
import { closeClients, visitor } from '../support/sockets.js';
import { sleep } from '../support/time.js';

/**
 * Bad input at both doors, gathered in one place: every refusal has its exact code, and nothing at
 * all is written (every table's rows and every lead row are the same afterwards). Hostile or unusual
 * text that is valid — SQL, HTML, emoji, right-to-left and mixed scripts — is stored and read back
 * byte for byte. Real server, real PostgreSQL, real HTTP and socket.io clients.
 */

const API_KEY = 'bad-input-api-key-0123456789';
const UNKNOWN_SESSION = `sess_${'0123456789abcdef'.repeat(2)}`;

/** The three sessions the refusals are tried on, and the ids already used once on them. */
interface Fixtures {
  greeting: string;
  questions: string;
  declined: string;
}

let t: TestApp;
const fx = {} as Fixtures;

/** Every row of every table the conversation writes, as one comparable value. */
async function everything() {
  const [row] = await t.db.query(
    `select (select count(*) from leads)::int as leads,
            (select count(*) from answers)::int as answers,
            (select count(*) from score_entries)::int as score_entries,
            (select count(*) from session_events)::int as session_events,
            (select count(*) from notifications)::int as notifications,
            (select count(*) from experiment_conversions)::int as conversions,
            (select md5(coalesce(string_agg(l::text, '|' order by l.id), '')) from leads l) as lead_rows`,
  );
  return row!;
}

async function lead(id: string) {
  const [row] = await t.db.query('select version, last_seq, score, state from leads where id = $1', [id]);
  return row;
}

/** One request to the server (see `http`). */
const send = (method: string, path: string, body?: Body, headers?: Record<string, string>) =>
  http(t.app.url, method, path, body, headers);

/** A visitor's connection to a session (or a new one), once the server has put it in the session. */
const chat = (sessionId?: string) => visitor(t.app.url, { auth: sessionId ? { sessionId } : {} });

/** Bytes of a JSON body with `raw` spliced in where `@@` stands (to send what JSON.stringify cannot). */
function bytes(json: string, raw: number[]): Uint8Array {
  const [before, after] = json.split('@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]);
}

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

describe('REST: refused with the exact code, nothing written', () => {
  type Case = [
    label: string,
    method: 'GET' | 'POST',
    path: (f: Fixtures) => string,
    body: ((f: Fixtures) => Body) | undefined,
    status: number,
    code: string,
    headers?: Record<string, string>,
  ];
  const answerTo = (id: keyof Fixtures, extra: Record<string, unknown>) => (f: Fixtures) => ({
    session_id: f[id],
    ...extra,
  });
  const q = (questionId: number, text: unknown, extra: Record<string, unknown> = {}) =>
    answerTo('questions', { question_id: questionId, answer_text: text, ...extra });
  const profile = (data: Record<string, unknown>) => (f: Fixtures) => ({
    session_id: f.questions,
    profile_data: data,
  });
  const answer = () => '/api/answer';
  const behavior = () => '/api/behavior';
  const profilePath = () => '/api/lead/profile';

  const cases: Case[] = [
    // Not JSON, or JSON we will not read.
    ['truncated JSON', 'POST', answer, (f) => `{"session_id":"${f.questions}",`, 400, 'malformed_request'],
    [
      'single-quoted JSON',
      'POST',
      answer,
      (f) => `{'session_id':'${f.questions}'}`,
      400,
      'malformed_request',
    ],
    [
      'a __proto__ key',
      'POST',
      behavior,
      (f) => `{"session_id":"${f.questions}","action":"clicked_demo","__proto__":{"admin":true}}`,
      400,
      'malformed_request',
    ],
    [
      'bytes that are not UTF-8 inside a string',
      'POST',
      answer,
      (f) => bytes(`{"session_id":"${f.questions}","question_id":2,"answer_text":"Oth@@er"}`, [0xff, 0xfe]),
      400,
      'malformed_request',
    ],
    [
      'an overlong UTF-8 encoding of "/"',
      'POST',
      profilePath,
      (f) => bytes(`{"session_id":"${f.questions}","profile_data":{"name":"@@"}}`, [0xc0, 0xaf]),
      400,
      'malformed_request',
    ],
    [
      'a truncated multi-byte sequence',
      'POST',
      profilePath,
      (f) => bytes(`{"session_id":"${f.questions}","profile_data":{"location":"Pune @@"}}`, [0xe0, 0xa4]),
      400,
      'malformed_request',
    ],
    [
      'Latin-1 text (not UTF-8) starting a session',
      'POST',
      () => '/api/session/start',
      () => new Uint8Array(Buffer.from('{"utm_source":"Café"}', 'latin1')),
      400,
      'malformed_request',
    ],
    [
      'an escaped lone surrogate',
      'POST',
      profilePath,
      (f) => `{"session_id":"${f.questions}","profile_data":{"name":"Ravi \\ud800"}}`,
      400,
      'malformed_request',
    ],
    [
      'text/plain',
      'POST',
      answer,
      (f) => JSON.stringify({ session_id: f.questions, question_id: 2, answer_text: 'Other' }),
      415,
      'unsupported_media_type',
      { 'content-type': 'text/plain' },
    ],
    // Wrong types, missing and unknown fields.
    ['JSON null', 'POST', answer, () => null, 422, 'validation_failed'],
    ['an array', 'POST', answer, () => [1, 2], 422, 'validation_failed'],
    ['question_id as a string', 'POST', answer, q('2' as never, 'Other'), 422, 'validation_failed'],
    ['answer_text as a number', 'POST', answer, q(2, 5), 422, 'validation_failed'],
    [
      'session_id as a number',
      'POST',
      answer,
      () => ({ session_id: 1, question_id: 2, answer_text: 'Other' }),
      422,
      'validation_failed',
    ],
    [
      'a missing answer_text',
      'POST',
      answer,
      answerTo('questions', { question_id: 2 }),
      422,
      'validation_failed',
    ],
    ['a missing session_id', 'POST', behavior, () => ({ action: 'clicked_demo' }), 422, 'validation_failed'],
    ['an unknown field', 'POST', answer, q(2, 'Other', { admin: true }), 422, 'validation_failed'],
    ['an unknown profile field', 'POST', profilePath, profile({ age: 40 }), 422, 'validation_failed'],
    // Answers.
    ['an empty answer', 'POST', answer, q(3, ''), 422, 'validation_failed'],
    ['a whitespace-only answer', 'POST', answer, q(3, ' \t\n\u00a0\u3000 '), 422, 'validation_failed'],
    ['a 2,001-character answer', 'POST', answer, q(3, 'x'.repeat(2001)), 422, 'validation_failed'],
    ['a negative time_taken', 'POST', answer, q(2, 'Other', { time_taken: -1 }), 422, 'validation_failed'],
    ['an absurd time_taken', 'POST', answer, q(2, 'Other', { time_taken: 1e308 }), 422, 'validation_failed'],
    ['time_taken as a string', 'POST', answer, q(2, 'Other', { time_taken: '5' }), 422, 'validation_failed'],
    // Too large.
    ['a 17 KB answer', 'POST', answer, q(3, 'y'.repeat(17 * 1024)), 413, 'payload_too_large'],
    [
      'a 17 KB profile',
      'POST',
      profilePath,
      profile({ location: 'z'.repeat(17 * 1024) }),
      413,
      'payload_too_large',
    ],
    // Sessions.
    [
      'an unknown session id',
      'POST',
      answer,
      () => ({ session_id: UNKNOWN_SESSION, question_id: 1, answer_text: 'Yes, go ahead' }),
      404,
      'session_not_found',
    ],
    [
      'a malformed session id',
      'POST',
      answer,
      () => ({ session_id: 'sess_123', question_id: 1, answer_text: 'Yes, go ahead' }),
      422,
      'validation_failed',
    ],
    [
      'an unknown session id in the URL',
      'GET',
      () => `/api/score/${UNKNOWN_SESSION}`,
      undefined,
      404,
      'session_not_found',
    ],
    [
      'SQL as the session id in the URL',
      'GET',
      () => `/api/lead/summary/${encodeURIComponent("sess_' OR '1'='1")}`,
      undefined,
      422,
      'validation_failed',
    ],
    // What the conversation cannot take.
    ['an unknown question id', 'POST', answer, q(42, 'anything'), 422, 'unknown_question'],
    ['the contact step as a question', 'POST', answer, q(7, 'a@example.com'), 422, 'unknown_question'],
    ['an option that does not exist', 'POST', answer, q(2, 'Spaceship'), 422, 'invalid_option'],
    ['SQL as a choice', 'POST', answer, q(2, "Other' OR '1'='1"), 422, 'invalid_option'],
    [
      'a product that does not exist',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_product', metadata: { target_id: 'spaceship' } }),
      422,
      'invalid_option',
    ],
    [
      'an invalid e-mail',
      'POST',
      profilePath,
      profile({ email: 'ravi@@example.com' }),
      422,
      'validation_failed',
    ],
    [
      'an e-mail without a domain',
      'POST',
      profilePath,
      profile({ email: 'ravi@' }),
      422,
      'validation_failed',
    ],
    ['a two-digit phone', 'POST', profilePath, profile({ phone: '12' }), 422, 'validation_failed'],
    ['words as a phone', 'POST', profilePath, profile({ phone: 'call me maybe' }), 422, 'validation_failed'],
    [
      'an unknown action',
      'POST',
      behavior,
      answerTo('questions', { action: 'fly' }),
      422,
      'validation_failed',
    ],
    [
      'a server-derived action (quick_reply)',
      'POST',
      behavior,
      answerTo('questions', { action: 'quick_reply' }),
      422,
      'derived_behavior',
    ],
    [
      'a server-derived action (session_opened)',
      'POST',
      behavior,
      answerTo('greeting', { action: 'session_opened' }),
      422,
      'derived_behavior',
    ],
    [
      'an answer after the conversation ended',
      'POST',
      answer,
      answerTo('declined', { question_id: 2, answer_text: 'Other' }),
      409,
      'session_closed',
    ],
    [
      'a click after the conversation ended',
      'POST',
      behavior,
      answerTo('declined', { action: 'clicked_demo' }),
      409,
      'session_closed',
    ],
    [
      'the greeting answered twice',
      'POST',
      answer,
      answerTo('questions', { question_id: 1, answer_text: 'Yes, go ahead' }),
      409,
      'invalid_state',
    ],
    // Idempotency.
    [
      'an Idempotency-Key reused with another payload',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_demo' }),
      409,
      'duplicate_mismatch',
      { 'Idempotency-Key': 'rest-once' },
    ],
    [
      'an Idempotency-Key reused on another route',
      'POST',
      answer,
      q(2, 'Other'),
      409,
      'duplicate_mismatch',
      { 'Idempotency-Key': 'rest-once' },
    ],
    [
      'an Idempotency-Key over 100 characters',
      'POST',
      answer,
      q(2, 'Other'),
      422,
      'validation_failed',
      { 'Idempotency-Key': 'k'.repeat(101) },
    ],
  ];

  const table = cases.map(
    ([label, method, path, body, status, code, headers]) =>
      [label, status, code, method, path, body, headers] as const,
  );
  it.each(table)('%s → %i %s', async (_label, status, code, method, path, body, headers) => {
    const before = await everything();
    const r = await send(method, path(fx), body?.(fx), headers);
    expect({ status: r.status, code: r.body?.error?.code }, r.text).toEqual({ status, code });
    expect(Object.keys(r.body)).toEqual(['error']);
    expect(typeof r.body.error.message).toBe('string');
    expect(await everything()).toEqual(before);
  });

  it('the refused requests left the sessions where they were: a valid request still works', async () => {
    expect(await lead(fx.questions)).toMatchObject({ state: 'questions' });
    const r = await send('POST', '/api/answer', {
      session_id: fx.questions,
      question_id: 2,
      answer_text: 'Other',
    });
    expect(r.status).toBe(200);
    expect(r.body.next_question).toMatchObject({ questionId: 3 });
  });

  it('a 2,000-character answer is accepted and stored whole', async () => {
    const long = `${'L'.repeat(1999)}Z`;
    const r = await send('POST', '/api/answer', {
      session_id: fx.questions,
      question_id: 3,
      answer_text: long,
    });
    expect(r.status, r.text).toBe(200);
    const [row] = await t.db.query('select answer from answers where lead_id = $1 and question_id = 3', [
      fx.questions,
    ]);
    expect(row!.answer).toBe(long);
  });
});

describe('REST: every number a client picks in a query or path is bounded', () => {
  interface Param {
    name: string;
    in: string;
    schema?: { type?: string; minimum?: number; maximum?: number };
  }
  /** Every integer or number parameter of every route in the OpenAPI document (page, page_size, ids…). */
  let numeric: { method: string; path: string; param: Param }[] = [];
  const label = (n: (typeof numeric)[number]) => `${n.method} ${n.path} ${n.param.name}`;

  beforeAll(async () => {
    const doc = (await send('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: Param[] }>>;
    };
    numeric = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        (op.parameters ?? [])
          .filter((p) => p.schema?.type === 'integer' || p.schema?.type === 'number')
          .map((param) => ({ method: method.toUpperCase(), path, param })),
      ),
    );
  });

  it('the lead lists page by them, and every one declares its bounds', () => {
    expect(numeric.map(label)).toEqual(
      expect.arrayContaining([
        'GET /api/leads page',
        'GET /api/leads page_size',
        'GET /api/leads/list page',
        'GET /api/leads/list page_size',
      ]),
    );
    for (const n of numeric) {
      expect(n.param.schema?.minimum, label(n)).toBeDefined();
      expect(n.param.schema?.maximum, label(n)).toBeDefined();
      // Paging bounds of our own, not just what a number can hold.
      if (/^(page|page_size|limit|offset)$/.test(n.param.name))
        expect(n.param.schema!.maximum, label(n)).toBeLessThanOrEqual(10_000);
    }
  });

  it('a page that would skip more than 100,000 leads → 422 on page; the deepest one allowed is served', async () => {
    const auth = { authorization: `Bearer ${API_KEY}` };
    for (const path of ['/api/leads', '/api/leads/list']) {
      const deep = await send('GET', `${path}?page=202&page_size=500`, undefined, auth);
      expect(deep.status, deep.text).toBe(422);
      expect(deep.body.error.details.issues).toEqual([
        { path: 'page', message: expect.stringContaining('/api/leads/export') },
      ]);
      const deepest = await send('GET', `${path}?page=201&page_size=500`, undefined, auth);
      expect(deepest.status, deepest.text).toBe(200);
      expect(deepest.body.leads).toEqual([]);
    }
  });

  it('a value past either bound → 422 validation_failed naming the field, nothing written', async () => {
    const before = await everything();
    for (const n of numeric) {
      const { minimum = 0, maximum = 0 } = n.param.schema ?? {};
      for (const value of [maximum + 1, 2 ** 53, '1e300', minimum - 1]) {
        const path =
          n.param.in === 'path'
            ? n.path.replace(`{${n.param.name}}`, String(value))
            : `${n.path}?${n.param.name}=${value}`;
        const r = await send(n.method, path, undefined, { authorization: `Bearer ${API_KEY}` });
        const what = `${label(n)}=${value}`;
        expect({ status: r.status, code: r.body?.error?.code }, `${what}: ${r.text}`).toEqual({
          status: 422,
          code: 'validation_failed',
        });
        expect(r.body.error.details.issues, what).toContainEqual(
          expect.objectContaining({ path: n.param.name }),
        );
      }
    }
    expect(await everything()).toEqual(before);
  });
});

describe('socket: refused with the exact code in the ack, nothing written', () => {
  type Case = [label: string, at: keyof Fixtures, event: VisitorEvent, payload: unknown, code: string];
  const cases: Case[] = [
    ['no clientMessageId', 'greeting', 'visitor:reply', { optionIds: ['yes'] }, 'validation_failed'],
    [
      'a number as clientMessageId',
      'greeting',
      'visitor:reply',
      { clientMessageId: 7, text: 'yes' },
      'validation_failed',
    ],
    [
      'optionIds as a string',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-1', optionIds: 'yes' },
      'validation_failed',
    ],
    [
      'an unknown field',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-2', text: 'yes', admin: true },
      'validation_failed',
    ],
    [
      'neither text nor optionIds',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-3' },
      'validation_failed',
    ],
    ['a string as the payload', 'greeting', 'visitor:reply', 'yes', 'validation_failed'],
    ['an array as the payload', 'greeting', 'visitor:reply', [1, 2], 'validation_failed'],
    [
      'an empty answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-4', text: '' },
      'validation_failed',
    ],
    [
      'a whitespace-only answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-5', text: '  \n\t ' },
      'validation_failed',
    ],
    [
      'a 2,001-character answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-6', text: 'x'.repeat(2001) },
      'validation_failed',
    ],
    [
      'an option that does not exist',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-7', optionIds: ['maybe'] },
      'invalid_option',
    ],
    [
      'a label that does not exist',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-8', text: 'Spaceship' },
      'invalid_option',
    ],
    [
      'an unknown action',
      'questions',
      'visitor:action',
      { clientMessageId: 's-9', action: 'clicked_everything' },
      'validation_failed',
    ],
    [
      'a server-derived action',
      'questions',
      'visitor:action',
      { clientMessageId: 's-10', action: 'answered_all_questions' },
      'validation_failed',
    ],
    [
      'a product that does not exist',
      'questions',
      'visitor:action',
      { clientMessageId: 's-11', action: 'clicked_product', targetId: 'spaceship' },
      'invalid_option',
    ],
    [
      'an invalid e-mail',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-12', email: 'ravi@' },
      'validation_failed',
    ],
    [
      'an invalid phone',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-13', phone: '12345' },
      'validation_failed',
    ],
    [
      'an e-mail as a number',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-14', email: 5 },
      'validation_failed',
    ],
    [
      'skipping contact before the contact step',
      'greeting',
      'visitor:contact',
      { clientMessageId: 's-15', skip: true },
      'invalid_state',
    ],
    [
      'a reply after the conversation ended',
      'declined',
      'visitor:reply',
      { clientMessageId: 's-16', optionIds: ['yes'] },
      'session_closed',
    ],
    [
      'a contact after the conversation ended',
      'declined',
      'visitor:contact',
      { clientMessageId: 's-17', email: 'late@example.com' },
      'session_closed',
    ],
    [
      'a click after the conversation ended',
      'declined',
      'visitor:action',
      { clientMessageId: 's-18', action: 'clicked_demo' },
      'session_closed',
    ],
    [
      'a clientMessageId reused with another payload',
      'questions',
      'visitor:action',
      { clientMessageId: 'socket-once', action: 'clicked_pricing' },
      'duplicate_mismatch',
    ],
    [
      'a clientMessageId reused for another event',
      'questions',
      'visitor:reply',
      { clientMessageId: 'socket-once', optionIds: ['other'] },
      'duplicate_mismatch',
    ],
    [
      'an escaped lone surrogate',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-19', name: 'Ravi \ud800' },
      'malformed_request',
    ],
  ];

  const table = cases.map(([label, at, event, payload, code]) => [label, code, at, event, payload] as const);
  it.each(table)('%s → %s', async (_label, code, at, event, payload) => {
    const client = await chat(fx[at]);
    const before = await everything();
    await client.fails(event, payload, code);
    expect(await everything()).toEqual(before);
  });

  it('an event without a payload → validation_failed, nothing written', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    const ack = await client.ack('visitor:reply');
    expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await everything()).toEqual(before);
  });

  it('a message over SOCKET_MESSAGE_LIMIT_BYTES closes the connection and stores nothing', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    client.socket.emit('visitor:reply', { clientMessageId: 'big', text: 'Mumbai '.repeat(3000) }, () => {});
    expect(await client.disconnected()).toMatch(/transport (close|error)/);
    await sleep(100);
    expect(await everything()).toEqual(before);
    expect(await lead(fx.greeting)).toMatchObject({ state: 'greeting' });
  });

  it('a WebSocket text frame that is not UTF-8 is closed by the ws layer; the server stays up and stores nothing', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    // The raw `ws` socket under engine.io-client: a text frame whose bytes are not UTF-8.
    const ws = (client.socket.io.engine.transport as unknown as { ws: { send(d: Buffer, o: object): void } })
      .ws;
    ws.send(
      Buffer.from(bytes('42/chat,0["visitor:reply",{"clientMessageId":"u8","text":"@@"}]', [0xff, 0xc0])),
      {
        binary: false,
      },
    );
    expect(await client.disconnected()).toMatch(/transport (close|error)/);
    await sleep(100);
    expect(await everything()).toEqual(before);
    const health = await send('GET', '/health');
    expect(health.status).toBe(200);
    const again = await chat(fx.greeting);
    expect(
      await again.ack('visitor:reply', { clientMessageId: 'u8-after', optionIds: ['maybe'] }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_option' },
    });
  });
});

describe('text PostgreSQL cannot store (U+0000) is refused at both doors with the field, nothing written', () => {
  const restCases: [label: string, path: string, body: (f: Fixtures) => Body, field: string][] = [
    [
      'a profile name',
      '/api/lead/profile',
      (f) => ({ session_id: f.questions, profile_data: { name: 'Ravi\u0000Kumar' } }),
      'profile_data.name',
    ],
    [
      'a profile interest',
      '/api/lead/profile',
      (f) => ({ session_id: f.questions, profile_data: { features_interested: ['Billing', 'POS\u0000'] } }),
      'profile_data.features_interested.1',
    ],
    [
      'an answer',
      '/api/answer',
      (f) => ({ session_id: f.questions, question_id: 3, answer_text: 'Pune\u0000' }),
      'answer_text',
    ],
    ['a utm_source', '/api/session/start', () => ({ utm_source: '\u0000google' }), 'utm_source'],
  ];
  it.each(restCases)('REST: %s → 422 validation_failed at its path', async (_label, path, body, field) => {
    const before = await everything();
    const r = await send('POST', path, body(fx));
    expect({ status: r.status, code: r.body?.error?.code }, r.text).toEqual({
      status: 422,
      code: 'validation_failed',
    });
    expect(r.body.error.details.issues).toContainEqual({ path: field, message: expect.any(String) });
    expect(await everything()).toEqual(before);
  });

  const socketCases: [
    label: string,
    at: keyof Fixtures,
    event: VisitorEvent,
    payload: unknown,
    field: string,
  ][] = [
    [
      'a contact name',
      'questions',
      'visitor:contact',
      { clientMessageId: 'nul-1', name: 'Ravi\u0000' },
      'name',
    ],
    ['a reply text', 'questions', 'visitor:reply', { clientMessageId: 'nul-2', text: 'Pune\u0000' }, 'text'],
    [
      'a clientMessageId',
      'greeting',
      'visitor:reply',
      { clientMessageId: 'nul\u0000', optionIds: ['yes'] },
      'clientMessageId',
    ],
    [
      'an option id',
      'greeting',
      'visitor:reply',
      { clientMessageId: 'nul-3', optionIds: ['yes\u0000'] },
      'optionIds.0',
    ],
  ];
  it.each(socketCases)(
    'socket: %s → ack validation_failed at its path',
    async (_label, at, event, payload, field) => {
      const client = await chat(fx[at]);
      const before = await everything();
      const ack = await client.ack(event, payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
      const { error } = ack as ErrorAck;
      expect((error.details as { issues: unknown[] }).issues).toContainEqual({
        path: field,
        message: expect.any(String),
      });
      expect(await everything()).toEqual(before);
    },
  );
});

describe('hostile and unusual text is stored and read back byte for byte', () => {
  const texts: [label: string, text: string][] = [
    ['SQL injection', "Robert'); DROP TABLE leads; --"],
    ['SQL tautology and comment', `' OR '1'='1' /* x */ UNION SELECT id, email FROM leads --`],
    ['a script tag', '<script>alert("x")</script>'],
    ['HTML with an event handler', `"><img src=x onerror=alert(1)>&amp;&lt;`],
    ['emoji: ZWJ family, skin tone, flag', '👨‍👩‍👧‍👦 Pune 👍🏽 🇮🇳 ☕️'],
    ['Arabic', 'مرحبا، نحن في دبي'],
    ['Hebrew', 'שלום, אנחנו בתל אביב'],
    ['mixed scripts and bidi controls', 'Mumbai मुंबई 孟买 Мумбаи مومباي ‏(RTL)‎ Ångström'],
    ['combining marks, not normalised', 'Cafe\u0301 vs Café'],
  ];

  const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

  it.each(texts)('%s — over REST (answer and profile name)', async (_label, text) => {
    const start = await send('POST', '/api/session/start', {});
    const id = start.body.session_id as string;
    for (const [questionId, answerText] of [
      [1, 'Yes, go ahead'],
      [2, 'Other'],
      [3, text],
    ] as const) {
      const r = await send('POST', '/api/answer', {
        session_id: id,
        question_id: questionId,
        answer_text: answerText,
      });
      expect(r.status, r.text).toBe(200);
    }
    const name = text.slice(0, 200);
    expect((await send('POST', '/api/lead/profile', { session_id: id, profile_data: { name } })).status).toBe(
      200,
    );

    const [row] = await t.db.query(
      `select encode(convert_to(a.answer, 'UTF8'), 'hex') as answer,
              encode(convert_to(l.location, 'UTF8'), 'hex') as location,
              encode(convert_to(l.name, 'UTF8'), 'hex') as name
         from leads l join answers a on a.lead_id = l.id and a.question_id = 3 where l.id = $1`,
      [id],
    );
    expect(row).toEqual({ answer: hex(text), location: hex(text), name: hex(name) });
    const summary = await send('GET', `/api/lead/summary/${id}`);
    expect(summary.body.lead_data).toMatchObject({ location: text, name });
    const exported = await send('GET', `/api/lead/export/${id}`);
    expect(exported.body).toMatchObject({ location: text, name });
    // The tables are all still there.
    expect((await t.db.query('select count(*)::int as n from leads'))[0]!.n).toBeGreaterThan(3);
  });

  it.each(texts)('%s — over the socket', async (_label, text) => {
    const client = await chat();
    for (const reply of [{ optionIds: ['yes'] }, { optionIds: ['other'] }, { text }]) {
      expect(
        await client.ack('visitor:reply', { clientMessageId: crypto.randomUUID(), ...reply }),
      ).toMatchObject({
        ok: true,
      });
    }
    const id = (await t.db.query('select id from leads where location = $1', [text]))[0]?.id as string;
    expect(id).toBeDefined();
    const [row] = await t.db.query(
      `select encode(convert_to(a.answer, 'UTF8'), 'hex') as answer
         from answers a where a.lead_id = $1 and a.question_id = 3`,
      [id],
    );
    expect(row).toEqual({ answer: hex(text) });
    const summary = await send('GET', `/api/lead/summary/${id}`);
    expect(summary.body.lead_data.location).toBe(text);
  });
});
