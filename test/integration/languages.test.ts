import { describe, expect, it } from 'vitest';
import type { BotMessage } from '../../src/protocol/index.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import { type RunningServer, serverFor } from '../support/app.js';
import { SECOND } from '../support/chat.js';
import { messageId, openVisitor, type VisitorClient } from '../support/sockets.js';

/**
 * The built-in workflow in Hindi and Tamil over real sockets: the same answers score exactly as in
 * English (ids and points never change with the language), the prompts come in the visitor's script,
 * and a visitor who switches language mid-conversation gets the pending prompt again in it.
 */

// The built-in workflow, the one that speaks Hindi and Tamil (the tests' default is the seed's rules).
const server = serverFor({}, { workflow: loadWorkflow() });
const DEVANAGARI = /[\u0900-\u097F]/;
const TAMIL = /[\u0B80-\u0BFF]/;

/** The label of option `id` of a prompt, as the visitor was shown it. */
const labelOf = (m: BotMessage, id: string) => {
  const label = m.options?.find((o) => o.id === id)?.label;
  if (!label) throw new Error(`no option ${id} in ${JSON.stringify(m)}`);
  return label;
};

interface Run {
  sessionId: string;
  locale: string;
  acks: { score: number; classification: string; state: string; awarded: unknown }[];
  prompts: BotMessage[];
}

/**
 * One conversation with the same answers whatever the language: choices typed as the label shown (in
 * the session's language) or sent by id, the same city, contact and CTA, at the same pace.
 */
async function journey(
  s: RunningServer,
  auth: { locale?: string },
  headers?: Record<string, string>,
): Promise<Run> {
  const chat = openVisitor(s.url, { auth, ...(headers ? { headers } : {}) });
  const hello = await chat.hello();
  const acks: Run['acks'] = [];
  const step = async (after: number, event: 'visitor:reply' | 'visitor:contact', payload: object) => {
    s.clock.advance(after);
    const a = await chat.ok(event, { clientMessageId: messageId(), ...payload } as never);
    acks.push({ score: a.score, classification: a.classification, state: a.state, awarded: a.awarded });
  };
  await chat.message(0);
  await step(3 * SECOND, 'visitor:reply', { optionIds: ['yes'] });
  await step(4 * SECOND, 'visitor:reply', { text: labelOf(await chat.message(1), 'kirana_retail') });
  await chat.message(2);
  await step(10 * SECOND, 'visitor:reply', { text: 'Koramangala, Bengaluru' });
  await chat.message(3);
  await step(200 * SECOND, 'visitor:reply', { optionIds: ['six_to_fifteen'] });
  await step(5 * SECOND, 'visitor:reply', { text: labelOf(await chat.message(4), '2l_5l') });
  await chat.message(5);
  await step(5 * SECOND, 'visitor:reply', { optionIds: ['qr_payments', 'inventory'] });
  await chat.message(6);
  await step(5 * SECOND, 'visitor:contact', { name: 'Asha Rao', phone: '98765 43210' });
  await step(5 * SECOND, 'visitor:reply', { text: labelOf(await chat.message(7), 'talk_to_sales') });
  await chat.message(8);
  const run = { sessionId: hello.sessionId, locale: hello.locale, acks, prompts: chat.messages };
  chat.close();
  return run;
}

/** What a session's lead scored and stored, without what differs between any two sessions. */
async function outcome(s: RunningServer, sessionId: string) {
  const [lead] = await s.db.query(
    `select score, classification, state, business_type, staff_size, monthly_sales, features_interested, locale
       from leads where id = $1`,
    [sessionId],
  );
  const ledger = await s.db.query(
    'select behavior, points, evidence from score_entries where lead_id = $1 order by event_seq, id',
    [sessionId],
  );
  const answers = await s.db.query(
    'select question_id, answer, option_ids, points from answers where lead_id = $1 order by question_id',
    [sessionId],
  );
  const { locale, ...rest } = lead!;
  return { locale, lead: rest, ledger, answers };
}

describe('a conversation in Hindi and in Tamil', () => {
  it('scores exactly as the same answers in English, with every prompt in its own script', async () => {
    const english = await journey(server, { locale: 'en' });
    const hindi = await journey(server, { locale: 'hi-IN' });
    const tamil = await journey(server, {}, { 'accept-language': 'fr-FR, ta;q=0.9, en;q=0.5' });
    expect([english.locale, hindi.locale, tamil.locale]).toEqual(['en', 'hi', 'ta']);

    const base = await outcome(server, english.sessionId);
    expect(base.lead.state).toBe('completed');
    expect(base.ledger.length).toBeGreaterThan(5);
    for (const [run, script] of [
      [hindi, DEVANAGARI],
      [tamil, TAMIL],
    ] as const) {
      expect(run.acks).toEqual(english.acks);
      const got = await outcome(server, run.sessionId);
      expect(got.locale).toBe(run.locale);
      // The ledger, the answers (stored in the workflow's default language) and the lead's fields.
      expect(got.ledger).toEqual(base.ledger);
      expect(got.answers).toEqual(base.answers);
      expect(got.lead).toEqual(base.lead);
      // Same steps, same ids; the words in the visitor's script.
      expect(run.prompts.map((p) => [p.step, p.questionId, p.options?.map((o) => o.id)])).toEqual(
        english.prompts.map((p) => [p.step, p.questionId, p.options?.map((o) => o.id)]),
      );
      for (const p of run.prompts) {
        expect(p.locale).toBe(run.locale);
        expect(p.text, p.step).toMatch(script);
      }
    }
    expect(english.prompts.every((p) => p.locale === 'en' && !DEVANAGARI.test(p.text))).toBe(true);
  });
});

describe('switching language mid-conversation', () => {
  async function atQuestion2(): Promise<VisitorClient> {
    const chat = openVisitor(server.url, { auth: { locale: 'en' } });
    await chat.hello();
    await chat.message(0);
    await chat.ok('visitor:reply', { clientMessageId: messageId(), optionIds: ['yes'] });
    expect(await chat.message(1)).toMatchObject({ questionId: 2, locale: 'en' });
    return chat;
  }

  it('puts the pending prompt again in the new language, records the switch, and scores nothing', async () => {
    const chat = await atQuestion2();
    const ack = await chat.ok('visitor:locale', { clientMessageId: messageId(), locale: 'ta-IN' });
    expect(ack.awarded).toEqual([]);
    const again = await chat.message(2);
    expect(again).toMatchObject({ step: 'business_type', questionId: 2, input: 'choice', locale: 'ta' });
    expect(again.text).toMatch(TAMIL);
    expect(again.options?.map((o) => o.id)).toEqual([
      'kirana_retail',
      'restaurant_cafe',
      'wholesale_fmcg',
      'other',
    ]);
    expect(labelOf(again, 'kirana_retail')).toBe('மளிகை / சில்லறைக் கடை');

    // The answer is taken in the new language, and the next question comes in it.
    await chat.ok('visitor:reply', { clientMessageId: messageId(), text: 'மளிகை / சில்லறைக் கடை' });
    expect((await chat.message(3)).text).toMatch(TAMIL);

    const [lead] = await server.db.query('select locale from leads where id = $1', [chat.sessionId]);
    expect(lead!.locale).toBe('ta');
    const log = await server.db.query(
      `select type, data from session_events where lead_id = $1 and type = 'visitor.input' order by seq`,
      [chat.sessionId],
    );
    expect(log.map((e) => e.data.command)).toContainEqual({ kind: 'locale', locale: 'ta-IN' });
    expect(log.find((e) => e.data.command.kind === 'locale')!.data.locale).toBe('ta');
  });

  it('refuses a language the workflow does not speak, naming those it does, and keeps the language', async () => {
    const chat = await atQuestion2();
    const error = await chat.fails(
      'visitor:locale',
      { clientMessageId: messageId(), locale: 'fr' },
      'unsupported_locale',
    );
    expect(error.details).toMatchObject({ available: ['en', 'hi', 'ta'] });
    await chat.fails(
      'visitor:locale',
      { clientMessageId: messageId(), locale: 'not a tag!' },
      'validation_failed',
    );
    const refused = await chat.fails(
      'visitor:reply',
      { clientMessageId: messageId(), text: 'spaceship' },
      'invalid_option',
    );
    expect(refused.message).toBe('"spaceship" is not one of the options.');
  });

  it('words a refusal in the visitor language', async () => {
    const chat = await atQuestion2();
    await chat.ok('visitor:locale', { clientMessageId: messageId(), locale: 'hi' });
    await chat.message(2);
    const refused = await chat.fails(
      'visitor:reply',
      { clientMessageId: messageId(), text: 'spaceship' },
      'invalid_option',
    );
    expect(refused.message).toMatch(DEVANAGARI);
    expect((refused.details as { options: { label: string }[] }).options[0]!.label).toBe(
      'किराना / रिटेल दुकान',
    );
  });
});

describe('the REST door', () => {
  it('GET /api/questions?locale=ta serves the texts in Tamil, with the same ids', async () => {
    const get = async (query: string, headers: Record<string, string> = {}) => {
      const r = await fetch(`${server.url}/api/questions${query}`, { headers });
      return { status: r.status, language: r.headers.get('content-language'), body: await r.json() };
    };
    const en = await get('', { 'accept-language': 'de' });
    const ta = await get('?locale=ta');
    expect([en.language, ta.language]).toEqual(['en', 'ta']);
    expect(ta.body.map((q: { id: number }) => q.id)).toEqual(en.body.map((q: { id: number }) => q.id));
    for (const q of ta.body) expect(q.question_text).toMatch(TAMIL);
    expect(ta.body[1].options[0]).toBe('மளிகை / சில்லறைக் கடை');
    expect((await get('?locale=hi-IN')).body[0].question_text).toMatch(DEVANAGARI);
    expect((await get('', { 'accept-language': 'hi-IN,hi;q=0.9' })).language).toBe('hi');
    expect((await get('?locale=fr')).status).toBe(422);
  });

  it('a session starts in the body locale and switches with POST /api/session/locale', async () => {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    };
    const started = await post('/api/session/start', { utm_source: 'rest', locale: 'hi' });
    expect(started.body).toMatchObject({ locale: 'hi', greeting: { locale: 'hi' } });
    expect(started.body.greeting.text).toMatch(DEVANAGARI);
    const id = started.body.session_id;
    const switched = await post('/api/session/locale', { session_id: id, locale: 'ta' });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ locale: 'ta', next_question: { step: 'greeting', locale: 'ta' } });
    expect(switched.body.next_question.text).toMatch(TAMIL);
    // The earlier service's clients answer with English labels: still understood.
    const answered = await post('/api/answer', {
      session_id: id,
      question_id: 1,
      answer_text: 'Yes, go ahead',
    });
    expect(answered.status).toBe(200);
    expect(answered.body.next_question.text).toMatch(TAMIL);
    const bad = await post('/api/session/locale', { session_id: id, locale: 'xx' });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'unsupported_locale' } } });
  });
});
