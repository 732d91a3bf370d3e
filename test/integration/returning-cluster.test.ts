import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signIdentity } from '../../src/leads/identity.js';
import { ANSWERS, ASHA, agent, GREETING } from '../support/agents.js';
import { CLUSTER_SECRET, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import { closeClients, openVisitor, visitor } from '../support/sockets.js';

/**
 * Returning visitors across two real server processes on one database and one Redis: a visitor whose
 * host site signs their user id with IDENTITY_SECRET is linked on node B to the lead they left on node
 * A (the agent watching on A sees it, and the new session's touch becomes the earlier lead's last, live);
 * a forged signature on B is refused and links nothing.
 */

afterEach(closeClients);

const IDENTITY_SECRET = 'identity-cluster-secret-0123456789';
const newId = () => randomBytes(16).toString('hex');
const identity = (userId: string, secret = IDENTITY_SECRET) => ({
  userId,
  signature: signIdentity(secret, userId),
});

describe('returning visitors across two nodes', () => {
  let nodes: TwoNodes;

  beforeAll(async () => {
    nodes = await startTwoNodes({ IDENTITY_SECRET });
  });
  afterAll(() => nodes?.stop());

  it('links a verified visitor on node B to their lead from node A; a forged identity on B is refused and not linked', async () => {
    const { a, b, db } = nodes;
    const userId = `user-${newId()}`;

    // The first visit, on node A, from a laptop, signed in on the host site.
    const laptop = await visitor(a.url, {
      auth: { visitorId: newId(), identity: identity(userId), utmSource: 'google', utmCampaign: 'spring' },
    });
    await laptop.say('visitor:reply', GREETING);
    await laptop.say('visitor:reply', ANSWERS[0]!);
    laptop.close();

    // An agent on node A watches that lead.
    const asha = await agent(a.url, ASHA, { secret: CLUSTER_SECRET });
    const before = await asha.ok('session:watch', { sessionId: laptop.sessionId });
    expect(before.lead.attribution.last.utm_source).toBe('google');

    // A forged signature on node B: refused before any session starts, and nothing is linked to the user.
    const forged = await openVisitor(b.url, {
      auth: { visitorId: newId(), identity: identity(userId, 'not-the-identity-secret-0123') },
    }).refused();
    expect(forged.data).toMatchObject({ code: 'identity_unverified' });
    const rows = await db.query<{ id: string }>('select id from leads where identity = $1', [userId]);
    expect(rows.map((r) => r.id)).toEqual([laptop.sessionId]);

    // The same user, correctly signed, on node B from another browser: linked to the lead from node A.
    const phone = await visitor(b.url, {
      auth: { visitorId: newId(), identity: identity(userId), utmSource: 'newsletter' },
    });
    expect(phone.sessionId).not.toBe(laptop.sessionId);
    const watched = await asha.ok('session:watch', { sessionId: phone.sessionId });
    expect(watched.earlier).toMatchObject([{ sessionId: laptop.sessionId, linkedBy: 'identity' }]);
    const [linked] = await db.query<{ returning_from: string | null }>(
      'select returning_from from leads where id = $1',
      [phone.sessionId],
    );
    expect(linked!.returning_from).toBe(laptop.sessionId);

    // The session on B is the last touch of the lead from A: its watcher on A sees it arrive, in order.
    const returned = await asha.nth(
      'session:event',
      (e) => e.sessionId === laptop.sessionId && e.type === 'visitor.returned',
    );
    expect(returned.data).toMatchObject({ sessionId: phone.sessionId, touch: { utm_source: 'newsletter' } });
    const after = await asha.ok('session:watch', { sessionId: laptop.sessionId });
    expect(after.lead.attribution.first.utm_source).toBe('google');
    expect(after.lead.attribution.last.utm_source).toBe('newsletter');

    // An unsigned visitor on B with no visitor id of the user's links to nothing.
    const stranger = await visitor(b.url, { auth: { visitorId: newId() } });
    expect((await asha.ok('session:watch', { sessionId: stranger.sessionId })).earlier).toEqual([]);
    // The user's leads: the laptop's and the phone's, none from the forged attempt.
    const all = await db.query<{ id: string }>(
      'select id from leads where identity = $1 order by created_at',
      [userId],
    );
    expect(all.map((r) => r.id)).toEqual([laptop.sessionId, phone.sessionId]);
  });
});
