import { describe, expect, it } from 'vitest';
import type { ErrorAck } from '../../src/protocol/index.js';
import { serverFor } from '../support/app.js';
import { accepted, awards, eventCount, leadCount, SECOND } from '../support/chat.js';
import type { StepPayload, VisitorEvent } from '../support/journey.js';
import { routingOnHumanHelp } from '../support/routing.js';
import { messageId, type OkAck, openVisitor, type VisitorClient } from '../support/sockets.js';

/**
 * What /chat refuses, with the code in the acknowledgement (or the handshake's connect_error), and
 * that nothing of it is stored.
 */

// Events are counted right after the contact that makes the lead SQL: no routing event may follow it.
const server = serverFor(routingOnHumanHelp());
const { clock } = server;

/** Greeting and all five questions, quickly; leaves the conversation at the contact step (score 70). */
async function answerAll(chat: VisitorClient): Promise<OkAck> {
  const replies: StepPayload[] = [
    { optionIds: ['yes'] },
    { optionIds: ['other'] },
    { text: 'Pune' },
    { optionIds: ['just_me'] },
    { optionIds: ['under_50k'] },
    { optionIds: ['billing'] },
  ];
  let last: OkAck | undefined;
  for (const reply of replies) {
    clock.advance(2 * SECOND);
    last = await chat.say('visitor:reply', reply);
  }
  expect(last).toMatchObject({ state: 'contact', score: 70 });
  return last!;
}

describe('what /chat refuses', () => {
  it('a payload that breaks the schema is refused with validation_failed naming the field, and stores nothing', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    const events = await eventCount(server.db, id);
    const cases: [VisitorEvent, unknown, string][] = [
      ['visitor:reply', { optionIds: ['yes'] }, 'clientMessageId'],
      ['visitor:reply', { clientMessageId: 'v-1', optionIds: 'yes' }, 'optionIds'],
      ['visitor:reply', { clientMessageId: 42, text: 'yes' }, 'clientMessageId'],
      ['visitor:reply', { clientMessageId: 'v-2', text: 'yes', mood: 'happy' }, 'mood'],
      ['visitor:reply', { clientMessageId: 'v-3', text: 'x'.repeat(2001) }, 'text'],
      ['visitor:reply', { clientMessageId: 'v-4' }, 'text'],
      ['visitor:reply', 'yes', ''],
      ['visitor:action', { clientMessageId: 'v-5', action: 'clicked_everything' }, 'action'],
      ['visitor:contact', { clientMessageId: 'v-6', email: 5 }, 'email'],
    ];
    for (const [event, payload, field] of cases) {
      const error = await chat.fails(event, payload, 'validation_failed');
      expect(error.message, JSON.stringify(payload)).toContain(field);
      expect((error.details as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    }
    // 2000 characters pass validation (and are then not one of the options).
    await chat.fails('visitor:reply', { clientMessageId: 'v-7', text: 'x'.repeat(2000) }, 'invalid_option');
    expect(await eventCount(server.db, id)).toBe(events);
    // Nothing was awarded: the first valid reply takes the score from 5 to 10.
    clock.advance(SECOND);
    expect(await chat.say('visitor:reply', { optionIds: ['yes'] })).toMatchObject({ score: 10 });
  });

  it('an answer that is not one of the options is refused with invalid_option and the options listed', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    const events = await eventCount(server.db, id);
    /** The reply refused with invalid_option; the ids of the options its error lists. */
    const refusedOptions = async (reply: { optionIds: string[] } | { text: string }) => {
      const error = await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), ...reply },
        'invalid_option',
      );
      return (error.details as { options: { id: string }[] }).options.map((o) => o.id);
    };
    expect(await refusedOptions({ optionIds: ['maybe'] })).toEqual(['yes', 'about', 'no']);
    expect(await refusedOptions({ text: 'maybe later' })).toHaveLength(3);
    clock.advance(SECOND);
    await chat.say('visitor:reply', { optionIds: ['yes'] });
    expect(await refusedOptions({ optionIds: ['bakery'] })).toEqual([
      'kirana_retail',
      'restaurant_cafe',
      'wholesale_fmcg',
      'other',
    ]);
    expect(await eventCount(server.db, id)).toBeGreaterThan(events);
  });

  it('skipping the contact form at the greeting is refused with invalid_state, and stores nothing', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    const events = await eventCount(server.db, id);
    await chat.fails('visitor:contact', { clientMessageId: messageId(), skip: true }, 'invalid_state');
    expect(await eventCount(server.db, id)).toBe(events);
  });

  it('a contact with a bad e-mail or phone is refused with validation_failed naming each bad field; a good one is then taken', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    await answerAll(chat);
    const events = await eventCount(server.db, id);
    const fields = (e: ErrorAck['error']) =>
      (e.details as { fields: { field: string }[] }).fields.map((f) => f.field);

    let error = await chat.fails(
      'visitor:contact',
      { clientMessageId: messageId(), name: 'Ravi', email: 'ravi@' },
      'validation_failed',
    );
    expect(error.message).toContain('email');
    expect(fields(error)).toEqual(['email']);
    error = await chat.fails(
      'visitor:contact',
      { clientMessageId: messageId(), phone: '12345' },
      'validation_failed',
    );
    expect(error.message).toContain('phone');
    expect(fields(error)).toEqual(['phone']);
    error = await chat.fails(
      'visitor:contact',
      { clientMessageId: messageId(), email: 'nope', phone: 'call me' },
      'validation_failed',
    );
    expect(fields(error)).toEqual(['email', 'phone']);
    expect(await eventCount(server.db, id)).toBe(events);

    clock.advance(SECOND);
    expect(await chat.say('visitor:contact', { phone: '+91 98450 12345' })).toMatchObject({
      state: 'cta',
      score: 80,
      awarded: awards(['shared_contact', 10]),
    });
  });

  it('every event after the conversation ended is refused with session_closed, and changes nothing', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    clock.advance(SECOND);
    expect(await chat.say('visitor:reply', { optionIds: ['no'] })).toEqual(
      accepted(10, 'Unqualified', 'declined', ['replied_to_greeting', 5]),
    );
    expect(await chat.message(1)).toMatchObject({ step: 'declined', input: 'none' });
    const events = await eventCount(server.db, id);

    await chat.fails('visitor:reply', { clientMessageId: messageId(), optionIds: ['yes'] }, 'session_closed');
    await chat.fails(
      'visitor:contact',
      { clientMessageId: messageId(), email: 'late@example.com' },
      'session_closed',
    );
    await chat.fails(
      'visitor:action',
      { clientMessageId: messageId(), action: 'clicked_demo' },
      'session_closed',
    );
    expect(await eventCount(server.db, id)).toBe(events);
    const [lead] = await server.db.query('select score, state from leads where id = $1', [id]);
    expect(lead).toEqual({ score: 10, state: 'declined' });
  });

  it('a handshake with invalid auth is refused with a connect_error validation_failed, and starts no session', async () => {
    const before = await leadCount(server.db);
    for (const auth of [{ utmSource: 5 }, { campaign: 'spring' }, { sessionId: 42 }, { locale: '' }]) {
      const chat = openVisitor(server.url, { auth });
      const err = await chat.refused();
      expect(err.data, JSON.stringify(auth)).toMatchObject({ code: 'validation_failed' });
      expect(typeof err.data?.message).toBe('string');
    }
    expect(await leadCount(server.db)).toBe(before);
  });
});
