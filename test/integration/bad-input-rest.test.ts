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
    // Behaviour metadata: any JSON object, within its bounds.
    [
      'metadata over 4 KB',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_pricing', metadata: { note: 'm'.repeat(4100) } }),
      422,
      'validation_failed',
    ],
    [
      'metadata 5 levels deep',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_pricing', metadata: { a: [[{ b: [1] }]] } }),
      422,
      'validation_failed',
    ],
    [
      'metadata that is a list',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_pricing', metadata: [{ page: '/pricing' }] }),
      422,
      'validation_failed',
    ],
    [
      'U+0000 in a metadata value',
      'POST',
      behavior,
      answerTo('questions', { action: 'clicked_pricing', metadata: { page: '/pri\u0000cing' } }),
      422,
      'validation_failed',
    ],
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
    // The calls of the earlier service's later version: the same checks, the same codes.
    [
      'skipping a required question',
      'POST',
      () => '/api/skip-question',
      answerTo('questions', { skip_reason: 'later' }),
      409,
      'required_question',
    ],
    [
      'skipping a question id that is text',
      'POST',
      () => '/api/skip-question',
      answerTo('questions', { question_id: '3' }),
      422,
      'validation_failed',
    ],
    [
      'an exit without a reason',
      'POST',
      () => '/api/session/exit',
      answerTo('questions', {}),
      422,
      'validation_failed',
    ],
    [
      'an exit with metadata over 4 KB',
      'POST',
      () => '/api/session/exit',
      answerTo('questions', { exit_reason: 'closed', metadata: { note: 'e'.repeat(4100) } }),
      422,
      'validation_failed',
    ],
    [
      'an exit of an unknown session',
      'POST',
      () => '/api/session/exit',
      () => ({ session_id: UNKNOWN_SESSION, exit_reason: 'closed' }),
      404,
      'session_not_found',
    ],
    [
      'next-question without a session',
      'POST',
      () => '/api/next-question',
      () => ({}),
      422,
      'validation_failed',
    ],
    [
      'a conditional answer to an unknown question',
      'POST',
      () => '/api/answer-with-conditional',
      q(42, 'anything'),
      422,
      'unknown_question',
    ],
    [
      'a conditional answer after the conversation ended',
      'POST',
      () => '/api/answer-with-conditional',
      answerTo('declined', { question_id: 2, answer_text: 'Other' }),
      409,
      'session_closed',
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
