import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, agent, GREETING, SECRET } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { Receiver } from '../support/receivers.js';
import { closeClients, type VisitorClient, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * `returning_lead`: a returning visitor who was SQL before raises it as the new session opens, one who
 * was not raises it on becoming SQL; exactly once per session, to the agents (`lead:alert`) and through
 * the outbox to a real webhook receiver. A first-time visitor never raises it.
 */

afterEach(closeClients);

describe('the returning_lead alert', () => {
  let t: TestApp;
  const crm = new Receiver();

  beforeAll(async () => {
    await crm.start();
    t = await startTestApp({
      SECRET_KEY: SECRET,
      WEBHOOK_URL: `${crm.url}/hooks/leads`,
      NOTIFY_POLL_SECONDS: '1',
    });
  });
  afterAll(async () => {
    await t?.close();
    await crm.close();
  });

  const newVisitorId = () => randomBytes(16).toString('hex');
  const toSql = async (v: VisitorClient) => {
    await v.say('visitor:reply', GREETING);
    let last = await v.say('visitor:reply', ANSWERS[0]!);
    for (const answer of ANSWERS.slice(1)) last = await v.say('visitor:reply', answer);
    expect(last.classification).toBe('SQL');
  };
  const alertRows = async (id: string) =>
    (
      await t.db.query<{ channel: string }>(
        `select channel from notifications where lead_id = $1 and trigger = 'returning_lead'`,
        [id],
      )
    ).map((r) => r.channel);
  const delivered = (id: string) =>
    waitFor(`the returning_lead webhook of ${id}`, () =>
      crm.of(id).find((h) => h.json?.type === 'lead.returning_lead'),
    );

  it('fires once as the session of a visitor who was SQL before opens, and not again when it becomes SQL', async () => {
    const watcher = await agent(t.app.url);
    const visitorId = newVisitorId();
    const first = await visitor(t.app.url, { auth: { visitorId } });
    await toSql(first);
    first.close();

    const second = await visitor(t.app.url, { auth: { visitorId } });
    await watcher.nth(
      'lead:alert',
      (a) => a.sessionId === second.sessionId && a.trigger === 'returning_lead',
    );
    await delivered(second.sessionId);
    await toSql(second);
    // The SQL alert of the second session arrives after its returning_lead: nothing more is raised.
    await watcher.nth('lead:alert', (a) => a.sessionId === second.sessionId && a.trigger === 'sql');

    expect(await alertRows(first.sessionId)).toEqual([]);
    expect(await alertRows(second.sessionId)).toEqual(['webhook']);
    expect(
      watcher
        .received('lead:alert')
        .filter((a) => a.trigger === 'returning_lead')
        .map((a) => a.sessionId),
    ).toEqual([second.sessionId]);
    expect(crm.hits.filter((h) => h.json?.type === 'lead.returning_lead').map((h) => h.session)).toEqual([
      second.sessionId,
    ]);
  });

  it('fires once when a returning visitor who was not SQL before becomes SQL', async () => {
    const watcher = await agent(t.app.url);
    const visitorId = newVisitorId();
    const first = await visitor(t.app.url, { auth: { visitorId } });
    await first.say('visitor:reply', GREETING);
    first.close();

    const second = await visitor(t.app.url, { auth: { visitorId } });
    expect(await alertRows(second.sessionId)).toEqual([]);
    await toSql(second);
    await watcher.nth(
      'lead:alert',
      (a) => a.sessionId === second.sessionId && a.trigger === 'returning_lead',
    );
    await delivered(second.sessionId);
    expect(await alertRows(second.sessionId)).toEqual(['webhook']);
    expect(await alertRows(first.sessionId)).toEqual([]);
  });
});
