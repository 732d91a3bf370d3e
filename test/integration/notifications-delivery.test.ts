import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/cluster.js';
import type { Json } from '../support/http.js';
import {
  API_KEY,
  answerAll,
  api,
  type NotificationRow,
  rowsOf,
  SECRET_KEY,
  settled,
} from '../support/notifications.js';
import { Receiver, type Reply, verifyWebhook } from '../support/receivers.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * Delivery when the receiver fails: retries with backoff, Retry-After, timeouts, refused connections,
 * dead letters and their re-drive over REST, manual notifications, the metrics, and redirects that are
 * never followed.
 */

/** The HMAC with the secret's characters as the key (what a verifier that forgot base64 would compute). */
function verifyAsPlainText(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const sig = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest('base64');
  return headers['webhook-signature'] === `v1,${sig}`;
}

/** A sample value of a Prometheus text exposition, by name and labels (undefined when absent). */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('delivery failures, dead letters, REST and metrics', () => {
  const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
  const TIMEOUT_MS = 300;
  const BACKOFF_MS = 100;
  const MAX_ATTEMPTS = 3;
  let t: TestApp;
  const crm = new Receiver();
  /** Slack points at a closed port until a test opens it. */
  let slackPort = 0;
  let slack: Receiver | undefined;
  const ids: Record<string, string> = {};

  /** A new lead, remembered as `ids[name]`, whose webhook deliveries the CRM answers by `script`. */
  const lead = async (name: string, script: Reply[]) => {
    const { sessionId } = await t.app.engine.startSession({ utmSource: 'ads' });
    crm.scripts.set(sessionId, [...script]);
    ids[name] = sessionId;
    return sessionId;
  };
  const webhookRow = async (id: string) => {
    const rows = (await rowsOf(t.db, id)).filter((r) => r.channel === 'webhook' && r.trigger === 'sql');
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    await crm.start();
    slackPort = await freePort();
    t = await startTestApp({
      SECRET_KEY,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_MINUTE: '10000',
      WEBHOOK_URL: `${crm.url}/hooks/leads`,
      WEBHOOK_SECRET: WHSEC,
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${slackPort}/services/slack`,
      // Slack only hears of demo requests here (to have one channel on a refused port).
      NOTIFICATION_ROUTES: 'slack=demo_requested',
      NOTIFY_TIMEOUT_MS: String(TIMEOUT_MS),
      NOTIFY_BACKOFF_MS: String(BACKOFF_MS),
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      NOTIFY_LOCK_SECONDS: '5',
      // Metrics on a listener of their own (loopback), as a Prometheus next to the node would scrape.
      METRICS_PORT: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([crm.close(), slack?.close()]);
  });

  it('a receiver that answers 500 and then 200 gets the lead on the second attempt, after a backoff, once, signed with the whsec_ secret', async () => {
    const id = await lead('flaky', [500, 200]);
    await answerAll(t.app.engine, id);
    await settled(t.db, id, 1);
    expect(await webhookRow(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    const hits = crm.of(id);
    expect(hits.map((h) => h.reply)).toEqual([500, 200]);
    expect(hits[1]!.headers['webhook-id']).toBe(hits[0]!.headers['webhook-id']);
    expect(hits.filter((h) => h.reply === 200)).toHaveLength(1);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(BACKOFF_MS * 0.5);
    for (const h of hits) {
      expect(verifyWebhook(WHSEC, h.headers, h.body)).toBe(true);
      // The key is the base64-decoded secret, not its text.
      expect(verifyAsPlainText(WHSEC, h.headers, h.body)).toBe(false);
      expect(h.json).toMatchObject({ type: 'lead.sql', data: { session_id: id, lead_type: 'SQL' } });
    }
    expect(verifyWebhook(WHSEC, hits[1]!.headers, hits[1]!.body.replace('"SQL"', '"MQL"'))).toBe(false);
    // The Standard Webhooks reference library accepts what we signed, and refuses a changed body.
    const wh = new Webhook(WHSEC);
    const headers = (h: IncomingHttpHeaders) => ({
      'webhook-id': String(h['webhook-id']),
      'webhook-timestamp': String(h['webhook-timestamp']),
      'webhook-signature': String(h['webhook-signature']),
    });
    for (const h of hits) expect(wh.verify(h.body, headers(h.headers))).toEqual(JSON.parse(h.body));
    expect(() => wh.verify(hits[1]!.body.replace('"SQL"', '"MQL"'), headers(hits[1]!.headers))).toThrow(
      WebhookVerificationError,
    );
  });

  it('a 429 with Retry-After: 1 is retried no sooner than a second later, then sent', async () => {
    const id = await lead('throttled', [{ status: 429, headers: { 'retry-after': '1' } }, 200]);
    await answerAll(t.app.engine, id);
    await settled(t.db, id, 1);
    expect(await webhookRow(id)).toMatchObject({ status: 'sent', attempts: 2 });
    const hits = crm.of(id);
    expect(hits.map((h) => h.reply)).toEqual([429, 200]);
    const gap = hits[1]!.at - hits[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(4000);
  });

  it('a receiver that hangs past the timeout is retried, then dead-lettered after the last attempt', async () => {
    const id = await lead('hanging', Array(MAX_ATTEMPTS + 2).fill('hang'));
    await answerAll(t.app.engine, id);
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
    expect(row!.last_error).toMatch(new RegExp(`time(d)? ?out.*${TIMEOUT_MS}`, 'i'));
    const hits = crm.of(id);
    expect(hits).toHaveLength(MAX_ATTEMPTS);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i]!.at - hits[i - 1]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS);
    await sleep(500);
    expect(crm.of(id)).toHaveLength(MAX_ATTEMPTS);
  });

  it('a refused connection is retried, then dead-lettered', async () => {
    const id = await lead('refused', []);
    await t.app.engine.handle(id, { kind: 'action', action: 'clicked_demo' });
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({
      channel: 'slack',
      trigger: 'demo_requested',
      status: 'dead',
      attempts: MAX_ATTEMPTS,
    });
    expect(row!.last_error).toMatch(/ECONNREFUSED|connection/i);
  });

  it('a 400 is dead-lettered at once, after one attempt', async () => {
    const id = await lead('rejected', [400]);
    await answerAll(t.app.engine, id);
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: expect.stringContaining('400') });
    await sleep(300);
    expect(crm.of(id).map((h) => h.reply)).toEqual([400]);
  });

  it('/metrics counts outcomes by channel and the outbox by status, as the table tells', async () => {
    const rows = await t.db.query<NotificationRow>('select * from notifications');
    expect(rows.every((r) => r.status === 'sent' || r.status === 'dead')).toBe(true);
    // Not on the public port; on the metrics listener without a token (none is configured).
    expect((await fetch(`${t.app.url}/metrics`)).status).toBe(404);
    expect(t.app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${t.app.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE lcb_notifications_total counter');
    expect(text).toContain('# TYPE lcb_notifications_outbox gauge');
    for (const channel of ['webhook', 'slack']) {
      const mine = rows.filter((r) => r.channel === channel);
      const expected = {
        sent: mine.filter((r) => r.status === 'sent').length,
        dead: mine.filter((r) => r.status === 'dead').length,
        // Every attempt but the last of a row was a retry.
        retry: mine.reduce((n, r) => n + r.attempts - 1, 0),
      };
      for (const [outcome, n] of Object.entries(expected)) {
        expect(
          metric(text, 'lcb_notifications_total', { channel, outcome }) ?? 0,
          `${channel} ${outcome}`,
        ).toBe(n);
      }
    }
    expect(
      metric(text, 'lcb_notifications_total', { channel: 'webhook', outcome: 'retry' }),
    ).toBeGreaterThanOrEqual(4);
    for (const status of ['pending', 'sending', 'sent', 'failed', 'dead']) {
      expect(metric(text, 'lcb_notifications_outbox', { status }), status).toBe(
        rows.filter((r) => r.status === status).length,
      );
    }
    expect(metric(text, 'lcb_notifications_outbox', { status: 'dead' })).toBe(3);
  });

  it('refuses the notification endpoints without credentials (401)', async () => {
    const [row] = await rowsOf(t.db, ids.rejected!);
    for (const [method, path, body] of [
      ['GET', '/api/notifications', undefined],
      ['GET', '/api/notifications?status=dead', undefined],
      ['POST', `/api/notifications/${row!.id}/retry`, undefined],
      ['POST', '/api/notifications/send', { session_id: ids.flaky, channels: ['webhook'] }],
      ['POST', '/api/lead/notify', { session_id: ids.flaky }],
    ] as const) {
      for (const auth of [null, 'not-a-key-0123456789']) {
        const r = await api(t.app.url, method, path, body, auth);
        expect(r.status, `${method} ${path} ${auth}`).toBe(401);
        expect(r.body.error.code).toBe('unauthorized');
      }
    }
    // Nothing was queued or re-driven by those.
    expect((await rowsOf(t.db, ids.flaky!)).length).toBe(1);
    expect((await rowsOf(t.db, ids.rejected!))[0]!.status).toBe('dead');
  });

  it('lists the dead letters with their errors', async () => {
    const r = await api(t.app.url, 'GET', '/api/notifications?status=dead');
    expect(r.status).toBe(200);
    const list: Json[] = r.body.notifications;
    expect(list.every((n) => n.status === 'dead')).toBe(true);
    const bySession = Object.fromEntries(list.map((n) => [n.session_id, n]));
    expect(Object.keys(bySession).sort()).toEqual([ids.hanging, ids.refused, ids.rejected].sort());
    expect(bySession[ids.hanging!]).toMatchObject({
      trigger: 'sql',
      channel: 'webhook',
      attempts: MAX_ATTEMPTS,
    });
    expect(bySession[ids.hanging!].last_error).toMatch(/time/i);
    expect(bySession[ids.rejected!]).toMatchObject({
      attempts: 1,
      last_error: expect.stringContaining('400'),
    });
    expect(bySession[ids.refused!]).toMatchObject({ channel: 'slack', trigger: 'demo_requested' });
    expect(r.body.counts).toMatchObject({ dead: 3, sent: 2, pending: 0 });
    const all = await api(t.app.url, 'GET', '/api/notifications');
    expect(all.body.notifications.map((n: Json) => n.id)).toEqual(
      [...all.body.notifications.map((n: Json) => n.id)].sort((a: number, b: number) => b - a),
    );
    expect((await api(t.app.url, 'GET', '/api/notifications?status=lost')).status).toBe(422);
  });

  it('re-drives a dead letter once the receiver is fixed', async () => {
    // The CRM stops rejecting this lead.
    crm.scripts.set(ids.rejected!, []);
    const [dead] = await rowsOf(t.db, ids.rejected!);
    const r = await api(t.app.url, 'POST', `/api/notifications/${dead!.id}/retry`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: Number(dead!.id), status: 'pending' });
    await waitFor(
      're-driven notification sent',
      async () => (await rowsOf(t.db, ids.rejected!))[0]!.status === 'sent',
    );
    const hits = crm.of(ids.rejected!);
    expect(hits.map((h) => h.reply)).toEqual([400, 200]);
    expect(hits[1]!.headers['webhook-id']).toBe(`msg_${dead!.id}`);
    expect(verifyWebhook(WHSEC, hits[1]!.headers, hits[1]!.body)).toBe(true);

    // Slack comes up on its port: the refused one goes out too.
    slack = await new Receiver().start(slackPort);
    const [refused] = await rowsOf(t.db, ids.refused!);
    expect((await api(t.app.url, 'POST', `/api/notifications/${refused!.id}/retry`)).status).toBe(200);
    await waitFor(
      'slack notification sent',
      async () => (await rowsOf(t.db, ids.refused!))[0]!.status === 'sent',
    );
    expect(slack.of(ids.refused!)).toHaveLength(1);
    expect(slack.of(ids.refused!)[0]!.json.text).toMatch(/^Demo requested: /);

    // A sent notification or an unknown id cannot be retried.
    expect((await api(t.app.url, 'POST', `/api/notifications/${dead!.id}/retry`)).status).toBe(404);
    expect((await api(t.app.url, 'POST', '/api/notifications/987654321/retry')).status).toBe(404);
    await sleep(300);
    expect(crm.of(ids.rejected!).filter((h) => h.reply === 200)).toHaveLength(1);
  });

  it('POST /api/notifications/send delivers a manual notification on the channels asked for', async () => {
    const id = ids.flaky!;
    const before = crm.of(id).length;
    const r = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['webhook'],
      message: 'Please call after 5 pm',
    });
    expect(r.status).toBe(200);
    expect(r.body.notification_ids).toHaveLength(1);
    const [nid] = r.body.notification_ids as number[];
    await waitFor('manual notification sent', async () => {
      const [row] = await t.db.query<NotificationRow>('select * from notifications where id = $1', [nid]);
      return row?.status === 'sent';
    });
    const hits = crm.of(id).slice(before);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.headers['webhook-id']).toBe(`msg_${nid}`);
    expect(verifyWebhook(WHSEC, hits[0]!.headers, hits[0]!.body)).toBe(true);
    expect(hits[0]!.json.data).toMatchObject({ session_id: id, lead_type: 'SQL' });
    expect(slack?.of(id) ?? []).toHaveLength(0);
  });

  it('the manual message reaches the CRM webhook too', async () => {
    const id = ids.flaky!;
    const hit = crm.of(id).find((h) => h.body.includes('"manual'))!;
    expect(hit).toBeDefined();
    expect(hit.body).toContain('Please call after 5 pm');
  });

  it('without PUBLIC_URL, the console link points at the port the server listens on', () => {
    // PORT=0 here: the link must not say port 0.
    const hit = crm.of(ids.flaky!)[0]!;
    const link = new URL(hit.json.data.console_url);
    expect(link.pathname).toBe('/agent');
    expect(link.port).toBe(new URL(t.app.url).port);
  });

  it('POST /api/lead/notify notifies on every configured channel', async () => {
    const id = ids.throttled!;
    const r = await api(t.app.url, 'POST', '/api/lead/notify', { session_id: id });
    expect(r.status).toBe(200);
    const nids = r.body.notification_ids as number[];
    expect(nids).toHaveLength(2);
    await waitFor('lead/notify delivered', async () => {
      const rows = await t.db.query<NotificationRow>('select * from notifications where id = any($1)', [
        nids,
      ]);
      return rows.length === 2 && rows.every((row) => row.status === 'sent') ? rows : false;
    });
    const rows = await t.db.query<NotificationRow>('select * from notifications where id = any($1)', [nids]);
    expect(rows.map((row) => row.channel).sort()).toEqual(['slack', 'webhook']);
    const webhookHit = crm.hits.find(
      (h) => h.headers['webhook-id'] === `msg_${rows.find((x) => x.channel === 'webhook')!.id}`,
    );
    expect(webhookHit?.reply).toBe(200);
    expect(slack!.of(id)).toHaveLength(1);
  });

  it('refuses an unknown session (404) and an unconfigured channel (422)', async () => {
    const unknown = `sess_${'0'.repeat(32)}`;
    for (const [path, body] of [
      ['/api/notifications/send', { session_id: unknown, channels: ['webhook'] }],
      ['/api/lead/notify', { session_id: unknown }],
    ] as const) {
      const r = await api(t.app.url, 'POST', path, body);
      expect(r.status, path).toBe(404);
    }
    const count = async () => (await t.db.query('select count(*)::int as n from notifications'))[0]!.n;
    const n = await count();
    for (const channels of [['email'], ['webhook', 'teams'], ['carrier-pigeon']]) {
      const r = await api(t.app.url, 'POST', '/api/notifications/send', { session_id: ids.flaky, channels });
      expect(r.status, channels.join()).toBe(422);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.details.configured.sort()).toEqual(['slack', 'webhook']);
    }
    expect(await count()).toBe(n);
  });
});

describe('redirects are not followed', () => {
  const MAX_ATTEMPTS = 2;
  let t: TestApp;
  /** Where the redirects point: it must never hear of a lead. */
  const target = new Receiver();
  const crmHop = new Receiver();
  const slackHop = new Receiver();

  beforeAll(async () => {
    await Promise.all([target.start(), crmHop.start(), slackHop.start()]);
    // A 307 would replay the POST with its body at the new address; a 302 would turn it into a GET.
    crmHop.fallback = { status: 307, headers: { location: `${target.url}/caught/crm` } };
    slackHop.fallback = { status: 302, headers: { location: `${target.url}/caught/slack` } };
    t = await startTestApp({
      WEBHOOK_URL: `${crmHop.url}/crm`,
      SLACK_WEBHOOK_URL: `${slackHop.url}/slack`,
      NOTIFY_BACKOFF_MS: '50',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([target.close(), crmHop.close(), slackHop.close()]);
  });

  it('a 307 (webhook) or 302 (chat) is a failed delivery, retried and then dead-lettered; the target hears nothing', async () => {
    const { sessionId } = await t.app.engine.startSession({});
    await answerAll(t.app.engine, sessionId);
    const rows = await settled(t.db, sessionId, 2);
    expect(rows.map((r) => r.channel).sort()).toEqual(['slack', 'webhook']);
    for (const r of rows) {
      const status = r.channel === 'slack' ? 302 : 307;
      expect(r, r.channel).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
      expect(r.last_error).toBe(
        `HTTP ${status} redirect to ${target.url}/caught/${r.channel === 'slack' ? 'slack' : 'crm'} not followed: configure the final URL`,
      );
    }
    expect(crmHop.of(sessionId).map((h) => h.reply)).toEqual([307, 307]);
    expect(slackHop.of(sessionId).map((h) => h.reply)).toEqual([302, 302]);
    await sleep(300);
    expect(target.hits).toEqual([]);
  });

  it('a 301 is permanent: dead-lettered after one attempt', async () => {
    crmHop.fallback = { status: 301, headers: { location: `${target.url}/caught/moved` } };
    const { sessionId } = await t.app.engine.startSession({});
    await answerAll(t.app.engine, sessionId);
    const rows = await settled(t.db, sessionId, 2);
    const webhook = rows.find((r) => r.channel === 'webhook')!;
    expect(webhook).toMatchObject({ status: 'dead', attempts: 1 });
    expect(webhook.last_error).toMatch(/^HTTP 301 redirect to .*\/caught\/moved not followed/);
    expect(crmHop.of(sessionId).map((h) => h.reply)).toEqual([301]);
    await sleep(300);
    expect(target.hits).toEqual([]);
  });
});
