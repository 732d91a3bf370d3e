import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { ASHA, agent, BALA, DEV, SECRET } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { Receiver } from '../support/receivers.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import {
  ownership,
  qualify,
  routed,
  routingFile,
  routingLog,
  routingNotifications,
} from '../support/routing.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Reassignment, escalation and the first-response SLA on the server's clock: two nodes on one
 * database and one Redis share a test clock the tests move, and both run every sweep, so each
 * change must happen once whichever node makes it.
 */

afterEach(closeClients);

const MINUTE = 60_000;

describe('routing on the clock, two nodes', () => {
  const clock = new TestClock();
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new Receiver().start();
    const env = {
      SECRET_KEY: SECRET,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: randomPrefix(),
      WEBHOOK_URL: `${receiver.url}/crm`,
      // One lead at a time per agent, so that capacity decides who is free.
      ROUTING_FILE: routingFile({ teams: [{ name: 'sales' }], defaultTeam: 'sales', maxActive: 1 }),
    };
    one = await startTestApp({ ...env, NODE_ID: 'one' }, { now: clock.now }, db);
    two = await startTestApp({ ...env, NODE_ID: 'two' }, { now: clock.now }, db);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await receiver?.close();
    await db?.drop();
  });

  /** Both nodes sweep at once: the version check lets one of them make each change. */
  const sweep = () => Promise.all([one.app.routing.router.sweep(), two.app.routing.router.sweep()]);
  const types = async (id: string) => (await routingLog(db, id)).map((e) => e.type);
  const bothOnline = () =>
    waitFor('both agents online on both nodes', async () => {
      for (const t of [one, two]) if ((await t.app.routing.agents.list()).length < 2) return false;
      return true;
    });

  it('hands a lead on to the next agent after ROUTING_REASSIGN_AFTER, once per agent, then escalates once', async () => {
    const asha = await agent(one.app.url, ASHA);
    await agent(two.app.url, BALA);
    await bothOnline();
    const id = await qualify(await visitor(one.app.url));
    const first = (await routed(db, id)).assigned_to!;
    const second = first === 'agent-1' ? 'agent-2' : 'agent-1';

    clock.advance(4 * MINUTE);
    await sweep();
    expect((await ownership(db, id)).assigned_to).toBe(first);

    clock.advance(MINUTE);
    await sweep();
    expect(await ownership(db, id)).toMatchObject({ assigned_to: second, escalated_at: null });
    const log = await routingLog(db, id);
    expect(log.map((e) => e.type)).toEqual(['lead.assigned', 'lead.reassigned', 'lead.sla_breached']);
    expect(log[1]!.data).toMatchObject({ team: 'sales', agentId: second, from: first });
    // The watchers of the session see the reassignment in seq order, as any event.
    const watched = await asha.ok('session:watch', { sessionId: id });
    expect(watched.events.filter((e) => e.type.startsWith('lead.')).map((e) => e.seq)).toEqual(
      log.map((e) => e.seq),
    );

    // Both agents had it: the next timeout goes to the team's escalation, once.
    clock.advance(5 * MINUTE);
    await sweep();
    clock.advance(30 * MINUTE);
    await sweep();
    await sweep();
    expect(await ownership(db, id)).toMatchObject({ assigned_to: null, assigned_team: 'sales' });
    expect(await types(id)).toEqual([
      'lead.assigned',
      'lead.reassigned',
      'lead.sla_breached',
      'lead.escalated',
    ]);
    expect(await routingNotifications(db, id)).toEqual([
      'assigned/webhook',
      'assigned/webhook',
      'sla_breached/webhook',
      'escalated/webhook',
    ]);
    const hooks = await waitFor('the four announcements delivered', () => {
      const hits = receiver.of(id).filter((h) => h.path === '/crm' && h.json !== undefined);
      const kinds = hits.map((h) => (h.json as { type: string }).type).filter((t) => t !== 'lead.sql');
      return kinds.length >= 4 ? kinds : undefined;
    });
    expect(hooks.sort()).toEqual(['lead.assigned', 'lead.assigned', 'lead.escalated', 'lead.sla_breached']);
    // The webhook names the owner: after the escalation, the team.
    const escalated = receiver.of(id).find((h) => (h.json as { type: string }).type === 'lead.escalated')!;
    expect((escalated.json as { data: { assigned_to: string } }).data.assigned_to).toBe('sales');
  });

  it('an owner who acts keeps the lead, marking it contacted frees a place, and an admin may reassign', async () => {
    const asha = await agent(one.app.url, ASHA);
    const bala = await agent(two.app.url, BALA);
    await bothOnline();
    const leads: string[] = [];
    for (const t of [one, two, one]) leads.push(await qualify(await visitor(t.app.url)));
    const [v1, v2, v3] = leads as [string, string, string];
    const owners = await Promise.all(leads.map(async (id) => (await routed(db, id)).assigned_to));
    // Each agent takes one lead; the third finds nobody with a free place and stays with the team.
    expect(new Set(owners.slice(0, 2))).toEqual(new Set(['agent-1', 'agent-2']));
    expect(owners[2]).toBeNull();
    expect(await types(v3)).toEqual(['lead.routed']);
    const ashas = owners[0] === 'agent-1' ? v1 : v2;
    const balas = ashas === v1 ? v2 : v1;

    // Asha marks hers contacted a minute later: her place is free again and the team's lead comes to her.
    clock.advance(MINUTE);
    expect(await asha.ok('lead:contacted', { sessionId: ashas })).toEqual({
      ok: true,
      contactedAt: new Date(clock.now()).toISOString(),
    });
    await sweep();
    expect((await ownership(db, v3)).assigned_to).toBe('agent-1');

    // Bala takes his over after three minutes: he acted, so it stays his past the timeout.
    clock.advance(2 * MINUTE);
    await bala.ok('session:takeover', { sessionId: balas });
    clock.advance(6 * MINUTE);
    await sweep();
    expect(await types(ashas)).toEqual(['lead.assigned', 'agent.contacted']);
    expect(await types(balas)).toEqual(['lead.assigned']);
    expect((await ownership(db, balas)).assigned_to).toBe('agent-2');
    // Asha let v3 wait; Bala, the only other agent, has no free place: the team's escalation is told.
    expect(await types(v3)).toEqual(['lead.routed', 'lead.assigned', 'lead.escalated', 'lead.sla_breached']);

    // An admin gives it to Bala (a plain agent may not).
    const sign = (who: typeof DEV) => new AgentTokens(SECRET).sign(who);
    const assign = async (token: string) =>
      fetch(`${one.app.url}/api/lead/${v3}/assign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: 'agent-2' }),
      });
    expect((await assign(await sign(ASHA))).status).toBe(403);
    const res = await assign(await sign(DEV));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      session_id: v3,
      assigned_to: 'agent-2',
      assigned_name: 'Bala',
      team: 'sales',
    });
    const last = (await routingLog(db, v3)).at(-1)!;
    expect(last).toMatchObject({
      type: 'lead.reassigned',
      data: { agentId: 'agent-2', by: 'agent:admin-1' },
    });
    // The exports name the owner.
    const list = await fetch(`${one.app.url}/api/leads?page_size=50`, {
      headers: { authorization: `Bearer ${await sign(DEV)}` },
    });
    const rows = ((await list.json()) as { leads: { session_id: string; assigned_to: string | null }[] })
      .leads;
    expect(rows.find((r) => r.session_id === v3)?.assigned_to).toBe('Bala');
    expect(rows.find((r) => r.session_id === ashas)?.assigned_to).toBe('Asha');

    // Speed to lead: Asha answered in 60 s, Bala in 180 s; the other leads are still waiting.
    const report = await fetch(
      `${two.app.url}/api/analytics/leads?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z`,
      { headers: { authorization: `Bearer ${await sign(DEV)}` } },
    );
    const speed = ((await report.json()) as { speed_to_lead: Record<string, unknown> }).speed_to_lead;
    expect(speed).toMatchObject({
      routed: 4,
      waiting: 2,
      sla_breached: 2,
      sla_seconds: 300,
      overall: { responded: 2, median_seconds: 120, p90_seconds: 168 },
      by_agent: [
        { agent_id: 'agent-1', name: 'Asha', responded: 1, median_seconds: 60, p90_seconds: 60 },
        { agent_id: 'agent-2', name: 'Bala', responded: 1, median_seconds: 180, p90_seconds: 180 },
      ],
      by_team: [{ team: 'sales', responded: 2, median_seconds: 120, p90_seconds: 168 }],
    });
  });

  it('a lead whose node stopped before routing it is routed once by the next sweep of another node', async () => {
    await agent(two.app.url, BALA);
    await waitFor('Bala online', async () => (await one.app.routing.agents.list()).length > 0);
    // Node one stops routing (as a node that dies between the commit that made the lead SQL and its
    // routing): the lead is SQL and unrouted.
    await one.app.routing.stop();
    const id = await qualify(await visitor(one.app.url));
    expect((await ownership(db, id)).routed_at).toBeNull();
    // The sweep leaves a lead that has just changed to the node that committed it; a minute later, not.
    await two.app.routing.router.sweep();
    expect((await ownership(db, id)).routed_at).toBeNull();
    clock.advance(MINUTE);
    await Promise.all([two.app.routing.router.sweep(), two.app.routing.router.sweep()]);
    expect(await routed(db, id)).toMatchObject({ assigned_team: 'sales' });
    expect((await types(id)).filter((t) => t === 'lead.assigned' || t === 'lead.routed')).toHaveLength(1);
  });
});
