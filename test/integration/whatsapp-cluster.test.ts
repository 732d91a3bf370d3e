import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeProcess, startNode } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/time.js';
import {
  button,
  FakeGraph,
  listRow,
  notification,
  offered,
  postWebhook,
  text,
  WA,
  whatsappEnv,
} from '../support/whatsapp.js';

/**
 * A node that answered Meta's post and died before processing the message: the message was stored
 * before the 200, so the next node processes it. Real server processes, killed with SIGKILL.
 */

const graph = new FakeGraph();
let db: TestDatabase;
const nodes: NodeProcess[] = [];
beforeAll(async () => {
  await graph.start();
  db = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await graph.close();
  await db?.drop();
});

const env = () => ({
  DATABASE_URL: db.url,
  ...whatsappEnv(graph.url),
  // A claim runs out 2 s after its node stopped renewing it (the shortest the delivery timeout allows).
  NOTIFY_LOCK_SECONDS: '2',
  NOTIFY_TIMEOUT_MS: '250',
  LOG_LEVEL: 'debug',
});

const inbox = (waId: string) =>
  db.query<{ attempts: number; processed_at: Date | null; outcome: string | null }>(
    'select attempts, processed_at, outcome from whatsapp_inbox where wa_id = $1 order by id',
    [waId],
  );

describe('a node killed after answering 200', () => {
  it('leaves the stored message to the next node, which processes it', async () => {
    const a = await startNode(env(), 'node-a');
    nodes.push(a);
    const waId = '919812300001';
    // Hold node a's processing up where it looks the user up, so that it dies before it is done.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table whatsapp_contacts in access exclusive mode');
    try {
      const res = await postWebhook(a.url, notification(waId, text('Hi')));
      expect(res.status).toBe(200);
      // Stored, and claimed by node a.
      await waitFor('node a to claim the message', async () => (await inbox(waId))[0]?.attempts === 1);
      await a.kill();
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    expect(await inbox(waId)).toMatchObject([{ processed_at: null }]);
    expect(graph.to(waId)).toEqual([]);
    expect(await db.query("select 1 from leads where channel = 'whatsapp'")).toEqual([]);

    const b = await startNode(env(), 'node-b');
    nodes.push(b);
    const greeting = await graph.nth(waId, 1, 20_000);
    expect(offered(greeting)).toEqual(['yes', 'about', 'no']);
    await waitFor('node b to record the outcome', async () => (await inbox(waId))[0]?.processed_at);
    expect(await inbox(waId)).toMatchObject([{ attempts: 2, outcome: 'started' }]);
    expect(await db.query("select phone from leads where channel = 'whatsapp'")).toEqual([
      { phone: `+${waId}` },
    ]);

    // No secret of the door in either node's logs, at debug level.
    const logs = [...a.logs, ...b.logs].join('\n');
    expect(logs).toContain('WhatsApp message processed');
    for (const secret of [WA.accessToken, WA.appSecret, WA.verifyToken]) expect(logs).not.toContain(secret);
  }, 60_000);

  it("takes each user's messages in order, once, when two nodes each stored some of them", async () => {
    const b = nodes.find((n) => n.nodeId === 'node-b')!;
    const c = await startNode(env(), 'node-c');
    nodes.push(c);
    const users = Array.from({ length: 6 }, (_, i) => `91981230010${i}`);
    await Promise.all(users.map((u, i) => postWebhook((i % 2 ? b : c).url, notification(u, text('Hi')))));
    await Promise.all(users.map((u) => graph.nth(u, 1)));
    // Each user's answer to the greeting reaches one node, their next answer the other, at once.
    await Promise.all(
      users.map(async (u, i) => {
        const [first, second] = i % 2 ? [b, c] : [c, b];
        const yes = notification(u, button('yes'));
        const shop = notification(u, listRow('kirana_retail'));
        expect((await postWebhook(first.url, yes)).status).toBe(200);
        expect((await postWebhook(second.url, shop)).status).toBe(200);
      }),
    );
    await Promise.all(users.map((u) => graph.nth(u, 3)));
    for (const u of users) {
      const rows = await inbox(u);
      expect(rows.map((r) => r.outcome)).toEqual(['started', 'handled', 'handled']);
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
    }
    const answered = await db.query<{ n: number }>(
      "select count(*)::int as n from answers a join leads l on l.id = a.lead_id where l.channel = 'whatsapp'",
    );
    expect(answered[0]!.n).toBe(users.length);
  }, 60_000);
});
