import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import type { TestDatabase } from '../support/database.js';
import type { Body } from '../support/http.js';
import {
  answerAll,
  api,
  CHANNELS,
  REST_ANSWERS,
  rowsOf,
  serverOnEveryChannel,
  settled,
} from '../support/notifications.js';
import { Receiver } from '../support/receivers.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * The outbox: rows written in the transaction of the event that fires them, a dispatcher woken by the
 * commit, and nothing claimed for a trigger no channel is routed for.
 */

describe('the outbox', () => {
  const server = serverOnEveryChannel();
  const { slack, crm } = server;

  it('writes the outbox rows in the event transaction: none when it rolls back, all right after the ack, never twice', async () => {
    const { url } = server.app;
    const post = (path: string, body: Body) => api(url, 'POST', path, body, null);
    const start = await post('/api/session/start', { utm_source: 'newsletter' });
    const id: string = start.body.session_id;
    await post('/api/lead/profile', { session_id: id, profile_data: { name: 'Ravi Kumar' } });
    for (const [question_id, answer_text] of REST_ANSWERS.slice(0, 5)) {
      expect((await post('/api/answer', { session_id: id, question_id, answer_text })).status).toBe(200);
    }
    const [sixth, sixthText] = REST_ANSWERS[5];
    const last = { session_id: id, question_id: sixth, answer_text: sixthText };

    // The commit fails after the outbox insert (answers are written last): nothing of it may remain.
    await server.db.query(`
      create or replace function lcb_test_fail_answer() returns trigger language plpgsql as $$
        begin raise exception 'injected failure'; end $$;
      create trigger lcb_test_fail before insert or update on answers for each row
        when (new.lead_id = '${id}' and new.question_id = 6) execute function lcb_test_fail_answer();`);
    try {
      const failed = await post('/api/answer', last);
      expect(failed.status).toBe(503);
    } finally {
      await server.db.query('drop trigger lcb_test_fail on answers; drop function lcb_test_fail_answer();');
    }
    expect(await rowsOf(server.db, id)).toEqual([]);
    const [before] = await server.db.query(
      'select score, classification, qualified_at from leads where id = $1',
      [id],
    );
    expect(before).toMatchObject({ score: 55, classification: 'MQL', qualified_at: null });

    const ok = await post('/api/answer', last);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ lead_score: 75, lead_type: 'SQL' });
    // Right after the ack, without waiting: the rows are there, with the event's own timestamp.
    const rows = await rowsOf(server.db, id);
    const sqlRows = rows.filter((r) => r.trigger === 'sql');
    expect(sqlRows.map((r) => r.channel).sort()).toEqual(CHANNELS);
    const [lead] = await server.db.query<{ qualified_at: Date }>(
      'select qualified_at from leads where id = $1',
      [id],
    );
    for (const r of sqlRows) expect(r.created_at.getTime()).toBe(lead!.qualified_at.getTime());
    expect(rows.filter((r) => r.trigger !== 'sql').map((r) => `${r.trigger}/${r.channel}`)).toEqual([
      'completed/webhook',
    ]);
    // Messages describe the lead when they are sent: let these go out before the score moves on.
    await settled(server.db, id, 6);

    // More scoring does not fire sql again.
    expect(
      (await post('/api/lead/profile', { session_id: id, profile_data: { email: 'ravi@example.com' } }))
        .status,
    ).toBe(200);
    expect((await post('/api/behavior', { session_id: id, action: 'clicked_demo' })).status).toBe(200);
    const cta = await post('/api/behavior', {
      session_id: id,
      action: 'cta_clicked',
      metadata: { target_id: 'talk_to_sales' },
    });
    expect(cta.status).toBe(200);
    expect(cta.body.lead_score).toBeGreaterThan(75);
    const after = await rowsOf(server.db, id);
    expect(after.filter((r) => r.trigger === 'sql')).toHaveLength(CHANNELS.length);
    expect(after.map((r) => `${r.trigger}/${r.channel}`).sort()).toEqual(
      [
        ...CHANNELS.map((c) => `sql/${c}`),
        'completed/webhook',
        'contact_shared/webhook',
        'demo_requested/webhook',
      ].sort(),
    );
    // And the table itself refuses a second (lead, trigger, channel).
    const dup = await server.db
      .query(
        `insert into notifications (lead_id, trigger, channel, status, attempts, next_attempt_at, created_at)
         values ($1, 'sql', 'webhook', 'pending', 0, now(), now())`,
        [id],
      )
      .then(
        () => null,
        (e: { code?: string }) => e,
      );
    expect(dup?.code).toBe('23505');

    await settled(server.db, id, 8);
    expect(crm.of(id).filter((h) => h.json.type === 'lead.sql')).toHaveLength(1);
    expect(slack.of(id).map((h) => h.json.text)).toEqual(['SQL lead: Ravi Kumar (score 75)']);
    expect(server.smtp.mails.filter((m) => m.session === id).map((m) => m.parsed.subject)).toEqual([
      'SQL lead: Ravi Kumar (score 75)',
    ]);
  });
});

describe('waking the dispatcher', () => {
  /** Counts every UPDATE statement on the outbox (a claim is one), rows or none, in `outbox_updates`. */
  const countUpdates = async (db: TestDatabase) => {
    await db.query('create table outbox_updates (at timestamptz not null default now())');
    await db.query(
      'create function count_outbox_update() returns trigger language plpgsql as ' +
        '$$ begin insert into outbox_updates default values; return null; end $$',
    );
    await db.query(
      'create trigger count_outbox_update after update on notifications ' +
        'for each statement execute function count_outbox_update()',
    );
    return async () =>
      ((await db.query('select count(*)::int as n from outbox_updates')) as { n: number }[])[0]!.n;
  };

  it('a commit that queued notifications wakes the dispatcher at once, without waiting for the poll', async () => {
    const receiver = await new Receiver().start();
    // An hour between polls: only the wake after the commit can send it within the test.
    const t = await startTestApp({ WEBHOOK_URL: `${receiver.url}/crm`, NOTIFY_POLL_SECONDS: '3600' });
    try {
      const { sessionId } = await t.app.engine.startSession({});
      await answerAll(t.app.engine, sessionId);
      await waitFor('the webhook', () => receiver.of(sessionId).length > 0, 5000);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it('a trigger no channel is routed for queues nothing and claims nothing', async () => {
    const t = await startTestApp({ NOTIFY_POLL_SECONDS: '3600' });
    try {
      const updates = await countUpdates(t.db);
      const { sessionId } = await t.app.engine.startSession({});
      const sql = await answerAll(t.app.engine, sessionId);
      expect(sql.classification).toBe('SQL');
      await sleep(500);
      expect(await updates()).toBe(0);
      expect(await t.db.query('select count(*)::int as n from notifications')).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });
});
