import { describe, expect, it } from 'vitest';
import type { ErrorAck } from '../../src/protocol/index.js';
import { badInputServer, type Fixtures } from '../support/bad-input.js';
import type { Body } from '../support/http.js';
import type { VisitorEvent } from '../support/journey.js';

/**
 * Text at both doors: what PostgreSQL cannot store (U+0000) is refused naming the field; hostile or
 * unusual text that is valid — SQL, HTML, emoji, right-to-left and mixed scripts — is stored and read
 * back byte for byte.
 */

const server = badInputServer();
const { fx, send, chat, everything } = server;

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

    const [row] = await server.db.query(
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
    expect((await server.db.query('select count(*)::int as n from leads'))[0]!.n).toBeGreaterThan(3);
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
    const id = (await server.db.query('select id from leads where location = $1', [text]))[0]?.id as string;
    expect(id).toBeDefined();
    const [row] = await server.db.query(
      `select encode(convert_to(a.answer, 'UTF8'), 'hex') as answer
         from answers a where a.lead_id = $1 and a.question_id = 3`,
      [id],
    );
    expect(row).toEqual({ answer: hex(text) });
    const summary = await send('GET', `/api/lead/summary/${id}`);
    expect(summary.body.lead_data.location).toBe(text);
  });
});
