import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signIdentity } from '../../src/leads/identity.js';
import { ANSWERS, agent, agentsServer, GREETING } from '../support/agents.js';
import { openVisitor, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Returning visitors: a new session is linked to the visitor's earlier leads by the widget's visitor id
 * (same browser) or by the host site's identity signed with IDENTITY_SECRET (any browser), and the
 * agent watching it sees them. A forged identity is refused and links nothing; a typed e-mail links
 * nothing.
 */

const IDENTITY_SECRET = 'identity-test-secret-0123456789';
const API_KEY = 'returning-key-0123456789abcd';
const server = agentsServer({ IDENTITY_SECRET, API_KEYS: API_KEY });

const newVisitorId = () => randomBytes(16).toString('hex');
const identity = (userId: string, secret = IDENTITY_SECRET) => ({
  userId,
  signature: signIdentity(secret, userId),
});

async function earlierOf(sessionId: string) {
  const a = await agent(server.url);
  const opened = await a.ok('session:watch', { sessionId });
  return opened.earlier;
}

async function stored(id: string) {
  const [row] = await server.db.query<{
    visitor_id: string | null;
    identity: string | null;
    score: number;
    classification: string;
  }>('select visitor_id, identity, score, classification from leads where id = $1', [id]);
  return row!;
}

describe('returning visitors', () => {
  it('links two sessions of the same visitor id: the agent sees the earlier lead, each keeps its own first touch', async () => {
    const visitorId = newVisitorId();
    const first = await visitor(server.url, {
      auth: { visitorId, utmSource: 'google', utmCampaign: 'spring' },
    });
    await first.say('visitor:reply', GREETING);
    await first.say('visitor:reply', ANSWERS[0]!);
    first.close();
    const before = await stored(first.sessionId);
    expect(before.visitor_id).toBe(visitorId);

    const second = await visitor(server.url, { auth: { visitorId, utmSource: 'newsletter' } });
    expect(second.sessionId).not.toBe(first.sessionId);
    const stranger = await visitor(server.url, { auth: { visitorId: newVisitorId() } });

    const earlier = await earlierOf(second.sessionId);
    expect(earlier).toEqual([
      {
        sessionId: first.sessionId,
        startedAt: expect.any(String),
        classification: before.classification,
        score: before.score,
        state: expect.any(String),
        linkedBy: 'visitor_id',
      },
    ]);
    expect(before.score).toBeGreaterThan(5);
    expect(await earlierOf(stranger.sessionId)).toEqual([]);

    const a = await agent(server.url);
    const watched = await a.ok('session:watch', { sessionId: second.sessionId });
    expect(watched.lead.attribution.first.utm_source).toBe('newsletter');
    expect(watched.lead.attribution.last.utm_source).toBe('newsletter');

    // The new session is the visitor's last touch: the earlier lead keeps its first touch and reports
    // the new one as its last, with when it was (the console, the exports, the webhook read it so).
    const old = await waitFor('the earlier lead has the new last touch', async () => {
      const view = await a.ok('session:watch', { sessionId: first.sessionId });
      return view.lead.attribution.last.utm_source === 'newsletter' ? view : undefined;
    });
    expect(old.lead.attribution.first).toMatchObject({ utm_source: 'google', utm_campaign: 'spring' });
    expect(old.lead.attribution.last).toMatchObject({
      utm_source: 'newsletter',
      utm_campaign: null,
      at: (await a.ok('session:watch', { sessionId: second.sessionId })).lead.startedAt,
    });
    const exported = await fetch(`${server.url}/api/lead/export/${first.sessionId}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(await exported.json()).toMatchObject({
      utm_source: 'google',
      utm_campaign: 'spring',
      last_utm_source: 'newsletter',
      last_utm_campaign: null,
    });
    // Recorded once, in the earlier session's log, naming the session it came from.
    const returned = await server.db.query<{ data: { sessionId: string } }>(
      `select data from session_events where lead_id = $1 and type = 'visitor.returned'`,
      [first.sessionId],
    );
    expect(returned.map((r) => r.data.sessionId)).toEqual([second.sessionId]);
    // A stranger's session touches nobody's lead.
    expect(
      await server.db.query(`select 1 from session_events where lead_id = $1 and type = 'visitor.returned'`, [
        stranger.sessionId,
      ]),
    ).toEqual([]);
  });

  it('links sessions of one verified identity from two browsers (different visitor ids)', async () => {
    const userId = `user-${newVisitorId()}`;
    const laptop = await visitor(server.url, {
      auth: { visitorId: newVisitorId(), identity: identity(userId) },
    });
    await laptop.say('visitor:reply', GREETING);
    laptop.close();
    const phone = await visitor(server.url, {
      auth: { visitorId: newVisitorId(), identity: identity(userId) },
    });

    expect((await stored(phone.sessionId)).identity).toBe(userId);
    expect(await earlierOf(phone.sessionId)).toMatchObject([
      { sessionId: laptop.sessionId, linkedBy: 'identity' },
    ]);
  });

  it('refuses a forged identity over the socket and REST, and links nothing to it', async () => {
    const userId = `user-${newVisitorId()}`;
    const real = await visitor(server.url, { auth: { identity: identity(userId) } });

    const forged = await openVisitor(server.url, {
      auth: { visitorId: newVisitorId(), identity: identity(userId, 'not-the-secret-0123456789') },
    }).refused();
    expect(forged.data).toMatchObject({ code: 'identity_unverified' });
    // A valid signature of another user id does not vouch for this one.
    const swapped = await openVisitor(server.url, {
      auth: { identity: { userId, signature: identity(`${userId}-other`).signature } },
    }).refused();
    expect(swapped.data).toMatchObject({ code: 'identity_unverified' });
    // Nor does it on a resume of an existing session.
    const resumed = await openVisitor(server.url, {
      auth: { sessionId: real.sessionId, identity: identity(userId, 'not-the-secret-0123456789') },
    }).refused();
    expect(resumed.data).toMatchObject({ code: 'identity_unverified' });

    const rest = await fetch(`${server.url}/api/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identity: { user_id: userId, signature: identity(userId, 'x'.repeat(20)).signature },
      }),
    });
    expect(rest.status).toBe(403);
    expect(await rest.json()).toMatchObject({ error: { code: 'identity_unverified' } });

    const [{ n }] = (await server.db.query<{ n: string }>(
      'select count(*) as n from leads where identity = $1',
      [userId],
    )) as [{ n: string }];
    expect(Number(n)).toBe(1);
    expect(await earlierOf(real.sessionId)).toEqual([]);

    // A correctly signed REST start is linked.
    const ok = await fetch(`${server.url}/api/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        visitor_id: newVisitorId(),
        identity: { user_id: userId, signature: identity(userId).signature },
      }),
    });
    expect(ok.status).toBe(200);
    const { session_id } = (await ok.json()) as { session_id: string };
    expect(await earlierOf(session_id)).toMatchObject([{ sessionId: real.sessionId, linkedBy: 'identity' }]);
  });

  it('never links by an e-mail the visitor typed', async () => {
    const contact = { name: 'Asha', email: `asha-${newVisitorId()}@example.com`, phone: '+919876543210' };
    const one = await visitor(server.url, { auth: { visitorId: newVisitorId() } });
    await one.send('visitor:contact', contact);
    const two = await visitor(server.url, { auth: { visitorId: newVisitorId() } });
    await two.send('visitor:contact', contact);
    expect(await earlierOf(two.sessionId)).toEqual([]);
  });

  it('refuses a malformed visitor id', async () => {
    const refusal = await openVisitor(server.url, { auth: { visitorId: 'short' } }).refused();
    expect(refusal.data).toMatchObject({ code: 'validation_failed' });
  });

  it('forgets the visitor id and identity of an erased lead: it links no longer', async () => {
    const visitorId = newVisitorId();
    const userId = `user-${newVisitorId()}`;
    const old = await visitor(server.url, { auth: { visitorId, identity: identity(userId) } });
    old.close();
    const erased = await fetch(`${server.url}/api/lead/${old.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(erased.status).toBe(200);
    expect(await stored(old.sessionId)).toMatchObject({ visitor_id: null, identity: null });
    const again = await visitor(server.url, { auth: { visitorId, identity: identity(userId) } });
    expect(await earlierOf(again.sessionId)).toEqual([]);
  });
});
