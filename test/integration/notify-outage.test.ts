import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type NodeProcess, startNode } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import type { NotificationRow } from '../support/notifications.js';
import { Receiver, type SmtpServer, startSmtp } from '../support/receivers.js';
import { sleep, waitFor } from '../support/time.js';
import { crashLines, expectSoundDatabase, JOURNEY, Visitor } from '../support/visitors.js';

/**
 * The SMTP server and the webhook receivers are down — nothing listens on their ports, connections
 * are refused — while leads reach SQL on a real server process. The notifications wait in the outbox;
 * once a real SMTP server (smtp-server) and an HTTP receiver come up on the same ports, each goes out
 * exactly once.
 */

const LEADS = 6;
const CHANNELS = ['email', 'slack', 'webhook'];

type Row = Pick<NotificationRow, 'lead_id' | 'channel' | 'status' | 'attempts' | 'last_error'>;

const countBy = <T>(items: T[], key: (t: T) => string | undefined) => {
  const out = new Map<string, number>();
  for (const i of items) {
    const k = key(i) ?? '(none)';
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
};

describe('SMTP and webhook receivers down while leads reach SQL', () => {
  let db: TestDatabase;
  let node: NodeProcess | undefined;
  let smtp: SmtpServer | undefined;
  let receiver: Receiver | undefined;
  const visitors: Visitor[] = [];

  afterAll(async () => {
    for (const v of visitors) v.close();
    await node?.stop();
    await Promise.all([smtp?.close(), receiver?.close()]);
    await db?.drop();
  });

  it('keeps the notifications in the outbox, then delivers each exactly once when they are back', async () => {
    db = await createTestDatabase();
    const [smtpPort, hookPort] = [await freePort(), await freePort()];
    node = await startNode({
      DATABASE_URL: db.url,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SENDER_EMAIL: 'leads-bot@example.com',
      SALES_TEAM_EMAILS: 'asha.sales@example.com',
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/slack`,
      WEBHOOK_URL: `http://127.0.0.1:${hookPort}/crm`,
      NOTIFICATION_ROUTES: 'email=sql;slack=sql;webhook=sql',
      // Quick retries, and enough of them that nothing is dead-lettered during the outage.
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_TIMEOUT_MS: '1000',
      NOTIFY_LOCK_SECONDS: '5',
      NOTIFY_MAX_ATTEMPTS: '100',
    });

    // Six visitors at once, each to SQL (the sixth answer makes 75 points).
    for (let i = 0; i < LEADS; i++) visitors.push(new Visitor(`n${i}`));
    await Promise.all(
      visitors.map(async (v) => {
        let ack = await v.deliver(...JOURNEY[0]!, () => node!.url);
        for (const [event, payload] of JOURNEY.slice(1, 6))
          ack = await v.deliver(event, payload, () => node!.url);
        expect(ack, v.name).toMatchObject({ ok: true, classification: 'SQL' });
      }),
    );
    const leads = visitors.map((v) => v.sessionId!);
    const downSince = Date.now();

    // The outage: every notification is tried again and again and stays in the outbox.
    const rows = () =>
      db.query<Row>(
        'select lead_id, channel, status, attempts, last_error from notifications where lead_id = any($1)',
        [leads],
      );
    const waiting = await waitFor(
      'every notification retried at least three times',
      async () => {
        const r = await rows();
        return r.length === LEADS * CHANNELS.length && r.every((n) => n.attempts >= 3) ? r : undefined;
      },
      30_000,
    );
    await sleep(Math.max(0, 3000 - (Date.now() - downSince)));
    const during = await rows();
    for (const n of [...waiting, ...during]) {
      expect(['pending', 'failed', 'sending'], `${n.channel} of ${n.lead_id}`).toContain(n.status);
    }
    for (const n of waiting) expect(n.last_error, n.channel).toMatch(/ECONNREFUSED/);
    for (const lead of leads)
      expect(
        during
          .filter((n) => n.lead_id === lead)
          .map((n) => n.channel)
          .sort(),
      ).toEqual(CHANNELS);

    // Back on the same ports.
    smtp = await startSmtp(smtpPort);
    receiver = await new Receiver().start(hookPort);
    const sent = await waitFor(
      'every notification sent',
      async () => {
        const r = await rows();
        return r.every((n) => n.status === 'sent') ? r : undefined;
      },
      45_000,
    );
    expect(sent).toHaveLength(LEADS * CHANNELS.length);
    for (const n of sent) expect(n.attempts, n.channel).toBeGreaterThan(3);
    // Two more poll rounds: nothing goes out a second time.
    await sleep(2500);

    const mails = countBy(smtp.mails, (m) => m.session);
    const slack = countBy(
      receiver.hits.filter((h) => h.path === '/slack'),
      (h) => h.session,
    );
    const crm = countBy(
      receiver.hits.filter((h) => h.path === '/crm'),
      (h) => h.session,
    );
    const once = new Map(leads.map((l) => [l, 1]));
    expect(mails).toEqual(once);
    expect(slack).toEqual(once);
    expect(crm).toEqual(once);
    expect((await rows()).every((n) => n.status === 'sent')).toBe(true);
    await expectSoundDatabase(db);
    expect(node.child.exitCode).toBeNull();
    expect(crashLines(node.logs)).toEqual([]);
  });
});
