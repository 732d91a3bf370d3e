import { beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, badInputServer, bytes, type Fixtures, UNKNOWN_SESSION } from '../support/bad-input.js';
import type { Body } from '../support/http.js';

/**
 * Bad input over REST: every refusal has its exact status and code, and nothing at all is written; every
 * number a client picks in a query or a path is bounded.
 */

const server = badInputServer();
const { fx, send, everything, lead } = server;

describe('REST: refused with the exact code, nothing written', () => {
  /** A request to refuse: what is wrong with it, its method and path, its body and headers. */
  type Request = [
    label: string,
    route: string,
    body?: ((f: Fixtures) => Body) | undefined,
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
  const ANSWER = 'POST /api/answer';
  const BEHAVIOR = 'POST /api/behavior';
  const PROFILE = 'POST /api/lead/profile';

  /** The requests refused with each status and code. */
  const refusals: [status: number, code: string, requests: Request[]][] = [
    [
      400,
      'malformed_request',
      [
        // Not JSON, or JSON we will not read.
        ['truncated JSON', ANSWER, (f) => `{"session_id":"${f.questions}",`],
        ['single-quoted JSON', ANSWER, (f) => `{'session_id':'${f.questions}'}`],
        [
          'a __proto__ key',
          BEHAVIOR,
          (f) => `{"session_id":"${f.questions}","action":"clicked_demo","__proto__":{"admin":true}}`,
        ],
        [
          'bytes that are not UTF-8 inside a string',
          ANSWER,
          (f) =>
            bytes(`{"session_id":"${f.questions}","question_id":2,"answer_text":"Oth@@er"}`, [0xff, 0xfe]),
        ],
        [
          'an overlong UTF-8 encoding of "/"',
          PROFILE,
          (f) => bytes(`{"session_id":"${f.questions}","profile_data":{"name":"@@"}}`, [0xc0, 0xaf]),
        ],
        [
          'a truncated multi-byte sequence',
          PROFILE,
          (f) => bytes(`{"session_id":"${f.questions}","profile_data":{"location":"Pune @@"}}`, [0xe0, 0xa4]),
        ],
        [
          'Latin-1 text (not UTF-8) starting a session',
          'POST /api/session/start',
          () => new Uint8Array(Buffer.from('{"utm_source":"Café"}', 'latin1')),
        ],
        [
          'an escaped lone surrogate',
          PROFILE,
          (f) => `{"session_id":"${f.questions}","profile_data":{"name":"Ravi \\ud800"}}`,
        ],
      ],
    ],
    [
      415,
      'unsupported_media_type',
      [
        // Not JSON, or JSON we will not read.
        [
          'text/plain',
          ANSWER,
          (f) => JSON.stringify({ session_id: f.questions, question_id: 2, answer_text: 'Other' }),
          { 'content-type': 'text/plain' },
        ],
      ],
    ],
    [
      422,
      'validation_failed',
      [
        // Wrong types, missing and unknown fields.
        ['JSON null', ANSWER, () => null],
        ['an array', ANSWER, () => [1, 2]],
        ['question_id as a string', ANSWER, q('2' as never, 'Other')],
        ['answer_text as a number', ANSWER, q(2, 5)],
        ['session_id as a number', ANSWER, () => ({ session_id: 1, question_id: 2, answer_text: 'Other' })],
        ['a missing answer_text', ANSWER, answerTo('questions', { question_id: 2 })],
        ['a missing session_id', BEHAVIOR, () => ({ action: 'clicked_demo' })],
        ['an unknown field', ANSWER, q(2, 'Other', { admin: true })],
        ['an unknown profile field', PROFILE, profile({ age: 40 })],
        // Behaviour metadata: any JSON object, within its bounds.
        [
          'metadata over 4 KB',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_pricing', metadata: { note: 'm'.repeat(4100) } }),
        ],
        [
          'metadata 5 levels deep',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_pricing', metadata: { a: [[{ b: [1] }]] } }),
        ],
        [
          'metadata that is a list',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_pricing', metadata: [{ page: '/pricing' }] }),
        ],
        [
          'U+0000 in a metadata value',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_pricing', metadata: { page: '/pri\u0000cing' } }),
        ],
        // Answers.
        ['an empty answer', ANSWER, q(3, '')],
        ['a whitespace-only answer', ANSWER, q(3, ' \t\n\u00a0\u3000 ')],
        ['a 2,001-character answer', ANSWER, q(3, 'x'.repeat(2001))],
        ['a negative time_taken', ANSWER, q(2, 'Other', { time_taken: -1 })],
        ['an absurd time_taken', ANSWER, q(2, 'Other', { time_taken: 1e308 })],
        ['time_taken as a string', ANSWER, q(2, 'Other', { time_taken: '5' })],
        // Sessions.
        [
          'a malformed session id',
          ANSWER,
          () => ({ session_id: 'sess_123', question_id: 1, answer_text: 'Yes, go ahead' }),
        ],
        [
          'SQL as the session id in the URL',
          `GET /api/lead/summary/${encodeURIComponent("sess_' OR '1'='1")}`,
        ],
        // What the conversation cannot take.
        ['an invalid e-mail', PROFILE, profile({ email: 'ravi@@example.com' })],
        ['an e-mail without a domain', PROFILE, profile({ email: 'ravi@' })],
        ['a two-digit phone', PROFILE, profile({ phone: '12' })],
        ['words as a phone', PROFILE, profile({ phone: 'call me maybe' })],
        ['an unknown action', BEHAVIOR, answerTo('questions', { action: 'fly' })],
        // The calls of the earlier service's later version: the same checks, the same codes.
        [
          'skipping a question id that is text',
          'POST /api/skip-question',
          answerTo('questions', { question_id: '3' }),
        ],
        ['an exit without a reason', 'POST /api/session/exit', answerTo('questions', {})],
        [
          'an exit with metadata over 4 KB',
          'POST /api/session/exit',
          answerTo('questions', { exit_reason: 'closed', metadata: { note: 'e'.repeat(4100) } }),
        ],
        ['next-question without a session', 'POST /api/next-question', () => ({})],
        // Idempotency.
        [
          'an Idempotency-Key over 100 characters',
          ANSWER,
          q(2, 'Other'),
          { 'Idempotency-Key': 'k'.repeat(101) },
        ],
      ],
    ],
    [
      413,
      'payload_too_large',
      [
        // Too large.
        ['a 17 KB answer', ANSWER, q(3, 'y'.repeat(17 * 1024))],
        ['a 17 KB profile', PROFILE, profile({ location: 'z'.repeat(17 * 1024) })],
      ],
    ],
    [
      404,
      'session_not_found',
      [
        // Sessions.
        [
          'an unknown session id',
          ANSWER,
          () => ({ session_id: UNKNOWN_SESSION, question_id: 1, answer_text: 'Yes, go ahead' }),
        ],
        ['an unknown session id in the URL', `GET /api/score/${UNKNOWN_SESSION}`],
        // The calls of the earlier service's later version: the same checks, the same codes.
        [
          'an exit of an unknown session',
          'POST /api/session/exit',
          () => ({ session_id: UNKNOWN_SESSION, exit_reason: 'closed' }),
        ],
      ],
    ],
    [
      422,
      'unknown_question',
      [
        // What the conversation cannot take.
        ['an unknown question id', ANSWER, q(42, 'anything')],
        ['the contact step as a question', ANSWER, q(7, 'a@example.com')],
        // The calls of the earlier service's later version: the same checks, the same codes.
        [
          'a conditional answer to an unknown question',
          'POST /api/answer-with-conditional',
          q(42, 'anything'),
        ],
      ],
    ],
    [
      422,
      'invalid_option',
      [
        // What the conversation cannot take.
        ['an option that does not exist', ANSWER, q(2, 'Spaceship')],
        ['SQL as a choice', ANSWER, q(2, "Other' OR '1'='1")],
        [
          'a product that does not exist',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_product', metadata: { target_id: 'spaceship' } }),
        ],
      ],
    ],
    [
      422,
      'derived_behavior',
      [
        // What the conversation cannot take.
        ['a server-derived action (quick_reply)', BEHAVIOR, answerTo('questions', { action: 'quick_reply' })],
        [
          'a server-derived action (session_opened)',
          BEHAVIOR,
          answerTo('greeting', { action: 'session_opened' }),
        ],
      ],
    ],
    [
      409,
      'session_closed',
      [
        // What the conversation cannot take.
        [
          'an answer after the conversation ended',
          ANSWER,
          answerTo('declined', { question_id: 2, answer_text: 'Other' }),
        ],
        ['a click after the conversation ended', BEHAVIOR, answerTo('declined', { action: 'clicked_demo' })],
        // The calls of the earlier service's later version: the same checks, the same codes.
        [
          'a conditional answer after the conversation ended',
          'POST /api/answer-with-conditional',
          answerTo('declined', { question_id: 2, answer_text: 'Other' }),
        ],
      ],
    ],
    [
      409,
      'invalid_state',
      [
        // What the conversation cannot take.
        [
          'the greeting answered twice',
          ANSWER,
          answerTo('questions', { question_id: 1, answer_text: 'Yes, go ahead' }),
        ],
      ],
    ],
    [
      409,
      'required_question',
      [
        // The calls of the earlier service's later version: the same checks, the same codes.
        [
          'skipping a required question',
          'POST /api/skip-question',
          answerTo('questions', { skip_reason: 'later' }),
        ],
      ],
    ],
    [
      409,
      'duplicate_mismatch',
      [
        // Idempotency.
        [
          'an Idempotency-Key reused with another payload',
          BEHAVIOR,
          answerTo('questions', { action: 'clicked_demo' }),
          { 'Idempotency-Key': 'rest-once' },
        ],
        [
          'an Idempotency-Key reused on another route',
          ANSWER,
          q(2, 'Other'),
          { 'Idempotency-Key': 'rest-once' },
        ],
      ],
    ],
  ];

  const table = refusals.flatMap(([status, code, requests]) =>
    requests.map(([label, route, body, headers]) => [label, status, code, route, body, headers] as const),
  );
  it.each(table)('%s → %i %s', async (_label, status, code, route, body, headers) => {
    const before = await everything();
    const space = route.indexOf(' ');
    const r = await send(route.slice(0, space), route.slice(space + 1), body?.(fx), headers);
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
    const [row] = await server.db.query('select answer from answers where lead_id = $1 and question_id = 3', [
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
