import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';
import { SECOND } from '../support/chat.js';
import { visitor } from '../support/sockets.js';

/**
 * The README's example workflow (examples/workflow.json) served for real: branched (`when`, `next`),
 * in English and Hindi, with answer values, a pattern rule, custom fields and a fit threshold. A
 * restaurant owner in Hindi is asked the restaurant's questions, a shop owner in English skips them;
 * both finish their own path, the ledger explains every point, and the custom fields are stored typed.
 */

const FILE = fileURLToPath(new URL('../../examples/workflow.json', import.meta.url));
const server = serverFor({ WORKFLOW_FILE: FILE });

describe('the example workflow (examples/workflow.json)', () => {
  it('takes a restaurant in Hindi down its branch and a shop in English past it, scoring each path', async () => {
    const { clock } = server;
    const restaurant = await visitor(server.url, { auth: { locale: 'hi-IN' } });
    const shop = await visitor(server.url, { auth: { locale: 'en' } });
    const reply = async (chat: typeof shop, payload: { optionIds?: string[]; text?: string }) => {
      clock.advance(5 * SECOND);
      return chat.say('visitor:reply', payload);
    };
    const asked = (chat: typeof shop) =>
      chat.messages
        .filter((m) => m.step !== 'greeting' && m.questionId !== undefined)
        .map((m) => m.questionId);

    // The restaurant, in Hindi: the tables and delivery apps are its questions.
    expect(await restaurant.message(0)).toMatchObject({ text: expect.stringContaining('नमस्ते') });
    await reply(restaurant, { optionIds: ['yes'] });
    await reply(restaurant, { text: 'रेस्टोरेंट' });
    expect(await restaurant.message(2)).toMatchObject({ step: 'table_count', input: 'number' });
    await reply(restaurant, { text: '24' });
    await reply(restaurant, { text: 'पुणे' });
    await reply(restaurant, { optionIds: ['over_5l'] });
    const done = await reply(restaurant, { optionIds: ['swiggy', 'own'] });
    expect(done.state).toBe('contact');
    expect(done.awarded.map((a) => a.behavior)).toContain('answered_all_questions');
    expect(asked(restaurant)).toEqual([2, 3, 4, 5, 6, 7]);

    // The shop, in English: from the business type straight to the city; no tables, no delivery apps.
    await reply(shop, { optionIds: ['yes'] });
    await reply(shop, { optionIds: ['shop'] });
    expect(await shop.message(2)).toMatchObject({
      step: 'location',
      text: 'Which city is your business in?',
    });
    await reply(shop, { text: 'Indore' });
    const shopDone = await reply(shop, { optionIds: ['under_1l'] });
    expect(shopDone.state).toBe('contact');
    expect(shopDone.awarded.map((a) => a.behavior)).toContain('answered_all_questions');
    expect(asked(shop)).toEqual([2, 4, 5, 7]);

    const ledger = async (id: string) =>
      server.db.query<{ behavior: string; points: number; evidence: Record<string, unknown> }>(
        'select behavior, points, evidence from score_entries where lead_id = $1 order by id',
        [id],
      );
    const values = (rows: Awaited<ReturnType<typeof ledger>>) =>
      rows
        .filter((r) => r.behavior === 'answer_value')
        .map((r) => [r.evidence.optionId ?? r.evidence.pattern, r.points]);
    // Restaurant +5, Pune (a metro, in Devanagari) +5, ₹5L+ +15, own delivery +3.
    const restaurantLedger = await ledger(restaurant.sessionId);
    expect(values(restaurantLedger)).toEqual([
      ['restaurant', 5],
      [expect.stringContaining('पुणे'), 5],
      ['over_5l', 15],
      ['own', 3],
    ]);
    // Shop +5, Indore no rule, under ₹1L −5: fit 0.
    expect(values(await ledger(shop.sessionId))).toEqual([
      ['shop', 5],
      ['under_1l', -5],
    ]);

    const [lead] = await server.db.query<{
      score: number;
      fit_score: number;
      engagement_score: number;
      custom_fields: Record<string, unknown>;
      locale: string;
    }>('select score, fit_score, engagement_score, custom_fields, locale from leads where id = $1', [
      restaurant.sessionId,
    ]);
    expect(lead!.fit_score).toBe(28);
    expect(lead!.score).toBe(restaurantLedger.reduce((s, r) => s + r.points, 0));
    expect(lead!.fit_score + lead!.engagement_score).toBe(lead!.score);
    expect(lead!.custom_fields).toEqual({ table_count: 24, delivery_apps: ['swiggy', 'own'] });
    expect(lead!.locale).toBe('hi');
  });
});
