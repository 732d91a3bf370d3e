import { describe, expect, it } from 'vitest';
import { ANSWERS, ASHA, agent, agentsServer, BALA, GREETING, storedLog } from '../support/agents.js';
import type { VisitorStep } from '../support/journey.js';
import { ask, visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/** The agents' lead board: alerts when a lead qualifies or asks for a person, and score updates. */

const server = agentsServer();

describe('alerts', () => {
  it('sends one lead:alert per trigger to every agent, each naming its session', async () => {
    const asha = await agent(server.url, ASHA);
    const bala = await agent(server.url, BALA);
    const v = await visitor(server.url);
    const other = await visitor(server.url);
    const id = v.sessionId;

    await v.say('visitor:reply', GREETING); // 10
    expect(await v.say('visitor:action', { action: 'clicked_demo' })).toMatchObject({ score: 25 });
    await other.say('visitor:action', { action: 'clicked_demo' });
    for (const answer of ANSWERS.slice(0, 4)) await v.say('visitor:reply', answer); // 65: SQL
    expect(await v.say('visitor:reply', ANSWERS[4]!)).toMatchObject({ score: 85, state: 'contact' });
    expect(await v.say('visitor:contact', { name: 'Ravi', email: 'ravi@example.com' })).toMatchObject({
      score: 95,
      state: 'cta',
    });
    // A second demo request, by action and by the demo product: no points, no alert.
    expect(await v.say('visitor:action', { action: 'clicked_demo' })).toMatchObject({ awarded: [] });
    expect(await v.say('visitor:action', { action: 'clicked_product', targetId: 'demo' })).toMatchObject({
      awarded: [],
    });
    expect(await v.say('visitor:reply', { optionIds: ['human_help'] })).toMatchObject({
      score: 105,
      state: 'completed',
    });

    const triggers = ['completed', 'contact_shared', 'demo_requested', 'human_help', 'sql'];
    for (const c of [asha, bala]) {
      await waitFor('every trigger', () =>
        new Set(c.received('lead:alert', (x) => x.sessionId === id).map((x) => x.trigger)).size ===
        triggers.length
          ? true
          : undefined,
      );
    }
    await sleep(1000);
    for (const c of [asha, bala]) {
      const mine = c.received('lead:alert', (x) => x.sessionId === id);
      expect(mine.map((x) => x.trigger).sort()).toEqual(triggers);
      for (const alert of mine) expect(alert.lead.sessionId).toBe(id);
      const sql = mine.find((x) => x.trigger === 'sql')!;
      expect(sql.lead).toMatchObject({ classification: 'SQL', score: 65 });
      const theirs = c.received('lead:alert', (x) => x.sessionId === other.sessionId);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatchObject({ trigger: 'demo_requested', lead: { sessionId: other.sessionId } });
    }
  });

  it("an alert's lead row is the lead as it stands, connected included", async () => {
    const a = await agent(server.url);
    const v = await visitor(server.url);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:action', { action: 'clicked_demo' });
    const alert = await a.nth('lead:alert', (x) => x.sessionId === v.sessionId);
    expect(alert).toMatchObject({ trigger: 'demo_requested' });
    expect(alert.lead).toMatchObject({ sessionId: v.sessionId, score: 25, state: 'questions' });
    // The visitor is connected right now; the alert says so, as the board does.
    expect(alert.lead.connected).toBe(true);
  });
});

describe('the board', () => {
  it('sends board:update with the new score, coalesced per session', async () => {
    const a = await agent(server.url);
    const v = await visitor(server.url);
    const id = v.sessionId;
    const updates = () => a.received('board:update', (r) => r.sessionId === id);

    const connected = await a.nth('board:update', (r) => r.sessionId === id && r.connected);
    expect(connected).toMatchObject({ score: 5, state: 'greeting', takenOverBy: null });
    await sleep(400);

    await v.say('visitor:reply', GREETING);
    const scored = await a.nth('board:update', (r) => r.sessionId === id && r.score === 10);
    expect(scored).toMatchObject({
      sessionId: id,
      state: 'questions',
      classification: 'Unqualified',
      connected: true,
      takenOverBy: null,
    });
    await sleep(400);

    // A burst: every one of these changes the score.
    const mark = updates().length;
    const burst: VisitorStep[] = [
      ...ANSWERS.map((p): VisitorStep => ['visitor:reply', p]),
      ['visitor:contact', { name: 'Ravi', email: 'ravi@example.com' }],
      ['visitor:action', { action: 'clicked_demo' }],
      ['visitor:action', { action: 'clicked_pricing' }],
      ['visitor:action', { action: 'clicked_product', targetId: 'billing' }],
      ['visitor:action', { action: 'clicked_product', targetId: 'inventory' }],
      ['visitor:action', { action: 'clicked_product', targetId: 'qr_payments' }],
    ];
    const started = Date.now();
    const acks = await Promise.all(burst.map(([event, payload]) => v.say(event, payload)));
    const elapsed = Date.now() - started;
    const finalScore = acks.at(-1)!.score;
    expect(finalScore).toBe(120);
    expect(acks.every((x) => x.awarded.length > 0)).toBe(true);
    await waitFor('an update with the final score', () => updates().find((r) => r.score === finalScore));
    await sleep(600);
    const burstUpdates = updates().slice(mark);
    const events = (await storedLog(server.db, id)).length;
    expect(burstUpdates.at(-1)).toMatchObject({ score: finalScore, state: 'cta', classification: 'SQL' });
    // At most one per 250 ms window (plus the leading one), far fewer than the events.
    expect(burstUpdates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    expect(burstUpdates.length).toBeLessThan(burst.length);
    expect(burstUpdates.length * 3).toBeLessThan(events);

    // A visitor who leaves shows as disconnected.
    const beforeLeaving = updates().length;
    v.socket.close();
    const left = await waitFor('an update saying disconnected', () =>
      updates()
        .slice(beforeLeaving)
        .find((r) => !r.connected),
    );
    expect(left).toMatchObject({ score: finalScore, state: 'cta' });
  });

  it('answers sessions:list with no payload at all', async () => {
    const a = await agent(server.url);
    // The payload is optional on the server (its schema says so); an emit with only an ack must be answered.
    const listed = await ask(a.socket, 1000, 'sessions:list');
    expect(listed.ok).toBe(true);
  });
});
