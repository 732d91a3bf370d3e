import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ASHA, agent, BALA, GREETING } from '../support/agents.js';
import { CLUSTER_SECRET, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import { closeClients, visitor } from '../support/sockets.js';

/**
 * An agent typing in the console reaches the visitor's connections on whichever node they are (over
 * the bus), with the agent's name, and is never stored in the session's log.
 */

afterEach(closeClients);

describe('agent typing across two nodes', () => {
  let nodes: TwoNodes;
  beforeAll(async () => {
    nodes = await startTwoNodes();
  });
  afterAll(() => nodes?.stop());

  it("relays an agent's typing on node B to the visitor's tabs on node A, and stores nothing", async () => {
    const { a, b, db } = nodes;
    const tab1 = await visitor(a.url);
    await tab1.say('visitor:reply', GREETING);
    const tab2 = await visitor(a.url, { auth: { sessionId: tab1.sessionId } });
    const other = await visitor(a.url);
    const asha = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    await asha.ok('session:takeover', { sessionId: tab1.sessionId });
    const events = async () =>
      (
        await db.query<{ count: string }>('select count(*) from session_events where lead_id = $1', [
          tab1.sessionId,
        ])
      )[0]?.count;
    const before = await events();

    asha.socket.emit('agent:typing', { sessionId: tab1.sessionId, typing: true });
    expect(await tab1.nth('agent:typing')).toEqual({ typing: true, name: 'Asha' });
    expect(await tab2.nth('agent:typing')).toEqual({ typing: true, name: 'Asha' });
    asha.socket.emit('agent:typing', { sessionId: tab1.sessionId, typing: false });
    expect(await tab1.nth('agent:typing', () => true, 1)).toEqual({ typing: false, name: 'Asha' });

    // Malformed ones are dropped; another agent's name is its own.
    const bala = await agent(b.url, BALA, { secret: CLUSTER_SECRET });
    bala.socket.emit('agent:typing', { sessionId: tab1.sessionId, typing: 'yes' } as never);
    bala.socket.emit('agent:typing', { sessionId: tab1.sessionId, typing: true, text: 'x' } as never);
    bala.socket.emit('agent:typing', { sessionId: tab1.sessionId, typing: true });
    expect(await tab1.nth('agent:typing', () => true, 2)).toEqual({ typing: true, name: 'Bala' });
    expect(tab1.received('agent:typing')).toHaveLength(3);
    // Only the session's own connections hear it.
    expect(other.received('agent:typing')).toEqual([]);

    expect(await events()).toBe(before);
  });
});
