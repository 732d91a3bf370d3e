import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestApp } from '../support/app.js';
import { type NodeProcess, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import type { Body } from '../support/http.js';
import { answerAll, api, type NotificationRow, REST_ANSWERS, settled } from '../support/notifications.js';
import { Receiver, verifyWebhook } from '../support/receivers.js';
import { sleep, waitFor } from '../support/time.js';

/** Two nodes on one outbox: each notification goes out exactly once, whoever claims it, whoever dies. */

describe('a claim outlived by a slow delivery', () => {
  it('a receiver slower than the lock (but within the timeout) still gets the lead once, or the configuration is refused', async () => {
    const receiver = await new Receiver().start();
    // Answers, but only after 2.5 s: within NOTIFY_TIMEOUT_MS, past NOTIFY_LOCK_SECONDS.
    receiver.fallback = { status: 200, delayMs: 2500 };
    const env = {
      WEBHOOK_URL: `${receiver.url}/slow`,
      WEBHOOK_SECRET: 'slow-crm-secret',
      NOTIFY_TIMEOUT_MS: '4000',
      NOTIFY_LOCK_SECONDS: '1',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_MAX_ATTEMPTS: '3',
    };
    try {
      loadConfig({ DATABASE_URL: 'postgres://localhost/x', ...env });
    } catch (err) {
      // Refusing a lock shorter than a delivery may take is a fix too.
      await receiver.close();
      if (err instanceof ConfigError) return;
      throw err;
    }
    const db = await createTestDatabase();
    // Two nodes on one database (each with its own in-process bus, so the second only polls).
    const x = await startTestApp(env, {}, db);
    const y = await startTestApp(env, {}, db);
    try {
      const { sessionId } = await x.app.engine.startSession({});
      await answerAll(x.app.engine, sessionId);
      await settled(db, sessionId, 1);
      await sleep(2600);
      expect(receiver.of(sessionId).filter((h) => h.reply === 200)).toHaveLength(1);
    } finally {
      await Promise.all([x.close(), y.close()]);
      await db.drop();
      await receiver.close();
    }
  });
});

describe('two nodes on one database', () => {
  const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = new Receiver();
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  const nodes = () => [a, b];

  /** A lead through REST on one node, up to SQL. */
  const restLead = async (node: NodeProcess, before?: (id: string) => void) => {
    const post = async (path: string, body: Body) => {
      const r = await api(node.url, 'POST', path, body, null);
      if (r.status !== 200)
        throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}\n${node.logs.slice(-30).join('\n')}`);
      return r.body;
    };
    const id: string = (await post('/api/session/start', { utm_source: 'cluster' })).session_id;
    before?.(id);
    for (const [question_id, answer_text] of REST_ANSWERS) {
      await post('/api/answer', { session_id: id, question_id, answer_text });
    }
    return id;
  };

  let cluster: TwoNodes;

  beforeAll(async () => {
    await receiver.start();
    const env = {
      RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_SECRET: WHSEC,
      // Shorter than the lock: a live node never has its claim taken over while it waits.
      NOTIFY_TIMEOUT_MS: '1000',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: '5',
      // The shortest lock the server accepts with that timeout (4 × timeout + 1 s).
      NOTIFY_LOCK_SECONDS: '5',
    };
    // Each node posts to its own path, so the receiver knows who sent what.
    ({ db, a, b } = cluster = await startTwoNodes(env, (id) => ({
      WEBHOOK_URL: `${receiver.url}/hook/${id}`,
    })));
  });
  afterAll(async () => {
    await cluster?.stop();
    await receiver.close();
  });

  it('many leads reaching SQL on both nodes: each notification delivered exactly once', async () => {
    const LEADS = 16;
    const leads = await Promise.all(Array.from({ length: LEADS }, (_, i) => restLead(nodes()[i % 2]!)));
    const rows = await waitFor(
      'every notification sent',
      async () => {
        const r = await db.query<NotificationRow>(
          'select * from notifications where lead_id = any($1) order by id',
          [leads],
        );
        return r.length === LEADS && r.every((x) => x.status === 'sent') ? r : false;
      },
      15_000,
    );
    expect(rows.every((r) => r.trigger === 'sql' && r.channel === 'webhook' && r.attempts === 1)).toBe(true);
    await sleep(500);
    const hits = receiver.hits.filter((h) => h.session && leads.includes(h.session));
    const byId = new Map<string, number>();
    for (const h of hits) {
      expect(verifyWebhook(WHSEC, h.headers, h.body)).toBe(true);
      expect(h.reply).toBe(200);
      const id = String(h.headers['webhook-id']);
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    expect([...byId.keys()].sort()).toEqual(rows.map((r) => `msg_${r.id}`).sort());
    expect([...byId.values()].every((n) => n === 1)).toBe(true);
    expect(hits).toHaveLength(LEADS);
    expect(new Set(hits.map((h) => h.session)).size).toBe(LEADS);
    for (const h of hits) expect(['/hook/node-a', '/hook/node-b']).toContain(h.path);
  });

  it('a node killed while sending leaves the notification to the other node, after the lock expires', async () => {
    const id = await restLead(a, (sid) => receiver.scripts.set(sid, ['hang', 'hang', 'hang']));
    const first = await waitFor('the claim reaches the receiver', () => receiver.of(id)[0]);
    expect(first.reply).toBe('hang');
    const holder = first.path === '/hook/node-a' ? a : b;
    const other = holder === a ? b : a;
    await holder.kill();
    const killedAt = Date.now();
    // The receiver recovers: from now on it answers 200.
    receiver.scripts.set(id, []);
    const [row] = await waitFor(
      'the other node sends it',
      async () => {
        const r = await db.query<NotificationRow>('select * from notifications where lead_id = $1', [id]);
        return r[0]?.status === 'sent' ? r : false;
      },
      15_000,
    );
    expect(row).toMatchObject({ trigger: 'sql', channel: 'webhook', status: 'sent', attempts: 2 });
    await sleep(300);
    const answered = receiver.of(id).filter((h) => h.reply === 200);
    expect(answered).toHaveLength(1);
    expect(answered[0]!.headers['webhook-id']).toBe(`msg_${row!.id}`);
    expect(answered[0]!.path).toBe(`/hook/${other.nodeId}`);
    // Not before the dead node's lock ran out (5 s from its claim).
    expect(answered[0]!.at - first.at).toBeGreaterThanOrEqual(4800);
    expect(answered[0]!.at).toBeGreaterThanOrEqual(killedAt);
    expect(verifyWebhook(WHSEC, answered[0]!.headers, answered[0]!.body)).toBe(true);
    // The surviving node still serves.
    expect((await fetch(`${other.url}/health`)).status).toBe(200);
  });
});
