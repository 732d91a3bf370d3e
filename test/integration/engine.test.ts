import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitQueue } from '../../src/conversation/commit-queue.js';
import type { EventResult } from '../../src/conversation/types.js';
import { AppError } from '../../src/errors.js';
import { VersionConflict } from '../../src/persistence/rows.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type EngineNode, openEngine, TestClock } from '../support/engine.js';
import { ashaCompletedRow } from '../support/journey.js';

const SECOND = 1000;

/** Everything stored about a lead, to compare before and after. */
async function footprint(db: TestDatabase, id: string) {
  const [lead] = await db.query('select score, state, version, last_seq from leads where id = $1', [id]);
  const [counts] = await db.query(
    `select (select count(*) from session_events where lead_id = $1)::int as events,
            (select count(*) from score_entries where lead_id = $1)::int as ledger,
            (select count(*) from answers where lead_id = $1)::int as answers`,
    [id],
  );
  return { lead, counts };
}

async function expectError(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('conversation engine on PostgreSQL', () => {
  let db: TestDatabase;
  let node: EngineNode;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    node = await openEngine(db, clock);
  });
  afterAll(async () => {
    await node?.close();
    await db?.drop();
  });

  it('persists a full conversation: ledger, answers, event log and lead agree', async () => {
    const { engine } = node;
    const start = await engine.startSession({ utmSource: 'google_ads' });
    const id = start.sessionId;
    expect(id).toMatch(/^sess_[0-9a-f]{32}$/);
    expect(start.score).toBe(5);
    expect(start.prompts.map((p) => p.step)).toEqual(['greeting']);

    const step = async (command: Parameters<typeof engine.handle>[1], after = 5 * SECOND) => {
      clock.advance(after);
      return engine.handle(id, command);
    };
    let r: EventResult = await step({ kind: 'reply', optionIds: ['yes'] });
    expect(r.prompts.map((p) => p.questionId)).toEqual([2]);
    r = await step({ kind: 'reply', text: 'restaurant / café' });
    r = await step({ kind: 'answer', questionId: 3, text: 'Koramangala, Bengaluru' });
    r = await step({ kind: 'reply', optionIds: ['six_to_fifteen'] });
    r = await step({ kind: 'reply', text: '₹2L – ₹5L' }, 200 * SECOND);
    r = await step({ kind: 'reply', text: 'QR Payments, inventory' });
    expect(r.state).toBe('contact');
    r = await step({ kind: 'contact', name: 'Asha Rao', phone: '98765 43210', email: 'Asha@Example.com' });
    expect(r.state).toBe('cta');
    r = await step({ kind: 'action', action: 'clicked_product', targetId: 'demo' });
    r = await step({ kind: 'reply', text: 'talk to sales rep' });
    // 5 opened + 5 greeting + 25 answers + 20 quick (one slow) + 5 detailed + 10 all + 10 contact + 15 demo + 15 CTA
    expect(r.score).toBe(110);
    expect(r.classification).toBe('SQL');
    expect(r.state).toBe('completed');
    expect(r.prompts.map((p) => p.step)).toEqual(['completed']);

    const [lead] = await db.query('select * from leads where id = $1', [id]);
    expect(lead).toMatchObject(
      ashaCompletedRow({
        business_type: 'Restaurant / Café',
        staff_size: '6–15',
        monthly_sales: '₹2L – ₹5L',
        utm_source: 'google_ads',
      }),
    );
    expect(lead!.completed_at).not.toBeNull();
    expect(lead!.qualified_at).not.toBeNull();
    const [sum] = await db.query('select sum(points)::int as total from score_entries where lead_id = $1', [
      id,
    ]);
    expect(sum!.total).toBe(110);
    const answers = await db.query(
      'select question_id, answer, points, latency_ms from answers where lead_id = $1 order by question_id',
      [id],
    );
    expect(answers.map((a) => [a.question_id, a.points])).toEqual([
      [2, 10],
      [3, 15],
      [4, 10],
      [5, 5],
      [6, 10],
    ]);
    expect(answers[3]!.latency_ms).toBe(200_000);
    const events = await db.query('select seq, type from session_events where lead_id = $1 order by seq', [
      id,
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(lead!.last_seq).toBe(events.length);
    expect(events.filter((e) => e.type === 'visitor.input')).toHaveLength(9);

    await expectError(engine.handle(id, { kind: 'reply', text: 'start free trial' }), 'session_closed');
    // Profile updates are still taken after the end.
    const late = await engine.handle(id, {
      kind: 'profile',
      profile: { location: 'Indiranagar, Bengaluru' },
    });
    expect(late.score).toBe(110);
  });

  it('a duplicate clientMessageId returns the first result and writes nothing', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    clock.advance(SECOND);
    const first = await engine.handle(id, { kind: 'reply', optionIds: ['yes'] }, 'msg-1');
    const before = await footprint(db, id);
    clock.advance(SECOND);
    const again = await engine.handle(id, { kind: 'reply', optionIds: ['yes'] }, 'msg-1');
    expect(again).toMatchObject({
      duplicate: true,
      score: first.score,
      state: first.state,
      awarded: first.awarded,
    });
    expect(await footprint(db, id)).toEqual(before);
    // Also after the actor was dropped from memory (another process would start that way).
    engine.evict(id);
    expect((await engine.handle(id, { kind: 'reply', optionIds: ['yes'] }, 'msg-1')).duplicate).toBe(true);
    // The same id with a different payload is refused, not silently accepted.
    await expectError(engine.handle(id, { kind: 'reply', optionIds: ['no'] }, 'msg-1'), 'duplicate_mismatch');
    expect(await footprint(db, id)).toEqual(before);
  });

  it('re-answering updates the stored answer and earns nothing again', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    clock.advance(SECOND);
    await engine.handle(id, { kind: 'answer', questionId: 2, text: 'Kirana / Retail Shop', timeTaken: 4.5 });
    clock.advance(SECOND);
    const again = await engine.handle(id, {
      kind: 'answer',
      questionId: 2,
      text: 'wholesale / fmcg',
      timeTaken: 7,
    });
    expect(again.awarded).toEqual([]);
    const rows = await db.query('select answer, points, client_time_taken from answers where lead_id = $1', [
      id,
    ]);
    expect(rows).toEqual([{ answer: 'Wholesale / FMCG', points: 10, client_time_taken: 7 }]);
    const [lead] = await db.query('select business_type, score from leads where id = $1', [id]);
    expect(lead).toEqual({ business_type: 'Wholesale / FMCG', score: 15 });
  });

  it('a CTA click while the CTAs are offered chooses it; elsewhere it only scores', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    const early = await engine.handle(id, { kind: 'action', action: 'cta_clicked', targetId: 'start_trial' });
    expect(early).toMatchObject({ state: 'greeting', awarded: [{ behavior: 'cta_clicked', points: 15 }] });
    for (const q of engine.workflow.questions) {
      await engine.handle(id, {
        kind: 'answer',
        questionId: q.id,
        text: q.type === 'text' ? 'Pune' : q.options[0]!.label,
      });
    }
    await engine.handle(id, { kind: 'contact', skip: true });
    const chosen = await engine.handle(id, {
      kind: 'action',
      action: 'cta_clicked',
      targetId: 'talk_to_sales',
    });
    expect(chosen).toMatchObject({ state: 'completed', awarded: [] });
  });

  it('rejects bad input with a code and leaves no trace', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    const before = await footprint(db, id);
    const err = await expectError(
      engine.handle(id, { kind: 'reply', text: 'maybe later' }),
      'invalid_option',
    );
    expect((err.details as { options: unknown[] }).options).toHaveLength(3);
    await expectError(engine.handle(id, { kind: 'answer', questionId: 42, text: 'x' }), 'unknown_question');
    await expectError(engine.handle(id, { kind: 'contact', email: 'not-an-email' }), 'validation_failed');
    await expectError(engine.handle(id, { kind: 'contact', skip: true }), 'invalid_state');
    await expectError(
      engine.handle('sess_00000000000000000000000000000000', { kind: 'reply', text: 'yes' }),
      'session_not_found',
    );
    expect(await footprint(db, id)).toEqual(before);
  });
});

describe('failures and reloads', () => {
  let db: TestDatabase;
  const clock = new TestClock();
  let failNext = false;
  let conflictAlways = false;
  let conflicts = 0;
  let node: EngineNode;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A real failure inside the transaction: after the lead update and the event rows have been
    // written, one more row carries an integer out of range, which PostgreSQL refuses. Everything
    // must roll back.
    node = await openEngine(
      db,
      clock,
      (direct): CommitQueue => ({
        commit(unit) {
          if (conflictAlways) {
            conflicts += 1;
            return Promise.reject(new VersionConflict('another node keeps writing'));
          }
          if (!failNext) return direct.commit(unit);
          failNext = false;
          const poisoned = { ...unit.answers[0]!, ...(unit.answers[0] ?? {}), latencyMs: 2 ** 40 };
          return direct.commit({ ...unit, answers: [...unit.answers, { ...poisoned, questionId: 99 }] });
        },
      }),
    );
  });
  afterAll(async () => {
    await node?.close();
    await db?.drop();
  });

  it('a failed commit leaves nothing behind, answers unavailable, and the next try succeeds', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    clock.advance(SECOND);
    await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    const before = await footprint(db, id);
    failNext = true;
    clock.advance(SECOND);
    await expectError(
      engine.handle(id, { kind: 'reply', optionIds: ['kirana_retail'] }, 'm-2'),
      'unavailable',
    );
    expect(await footprint(db, id)).toEqual(before);
    // The cached actor was dropped with the failure: the retry starts from what is stored.
    const retry = await engine.handle(id, { kind: 'reply', optionIds: ['kirana_retail'] }, 'm-2');
    expect(retry.duplicate).toBeUndefined();
    expect(retry.awarded.map((a) => a.behavior)).toEqual(['answered_question', 'quick_reply']);
    expect(retry.score).toBe(20);
  });

  it('a lead that keeps changing underneath fails with conflict after bounded retries', async () => {
    const { sessionId: id } = await node.engine.startSession();
    const before = await footprint(db, id);
    conflictAlways = true;
    try {
      await expectError(node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] }), 'conflict');
    } finally {
      conflictAlways = false;
    }
    expect(conflicts).toBe(3);
    expect(await footprint(db, id)).toEqual(before);
    expect((await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] })).score).toBe(10);
  });

  it('a session reloaded by another process continues exactly where it was', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['other'] });
    const other = await openEngine(db, clock);
    try {
      const view = await other.engine.view(id);
      expect(view).toMatchObject({ state: 'questions', score: 20 });
      expect(view.prompt).toMatchObject({ questionId: 3, input: 'text' });
      clock.advance(200 * SECOND);
      const r = await other.engine.handle(id, { kind: 'reply', text: 'Pune' });
      // Not quick: the question was put 200 s ago, as the first process recorded.
      expect(r.awarded).toEqual([{ behavior: 'answered_question', points: 5 }]);
      expect(r.prompts[0]?.questionId).toBe(4);
      // The first process's cached actor is now stale: its write is refused by the version check,
      // it reloads, and carries on from the stored state.
      clock.advance(SECOND);
      const back = await node.engine.handle(id, { kind: 'reply', optionIds: ['just_me'] });
      expect(back.score).toBe(35);
      const [sum] = await db.query('select sum(points)::int as s from score_entries where lead_id = $1', [
        id,
      ]);
      expect(sum!.s).toBe(35);
    } finally {
      await other.close();
    }
  });

  /** A session this process holds at question 2, which another process has answered since (score 20). */
  async function overtaken() {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    const other = await openEngine(db, clock);
    clock.advance(SECOND);
    await other.engine.handle(id, { kind: 'reply', optionIds: ['kirana_retail'] });
    return { id, other };
  }

  it('a resume is answered from the stored session, not from a copy another process overtook', async () => {
    const { id, other } = await overtaken();
    try {
      const view = await node.engine.view(id);
      expect(view).toMatchObject({ state: 'questions', score: 20 });
      expect(view.prompt).toMatchObject({ questionId: 3 });
      expect((await node.engine.record(id)).lead.score).toBe(20);
    } finally {
      await other.close();
    }
  });

  it('an event that loses a race and no longer fits is refused with the prompt the session waits on', async () => {
    const { id, other } = await overtaken();
    try {
      // This process still holds question 2: its answer commits against a version that moved on, is
      // computed again from the store (question 3 wants text), and is refused there.
      clock.advance(SECOND);
      const refused = await expectError(
        node.engine.handle(id, { kind: 'reply', optionIds: ['restaurant_cafe'] }),
        'validation_failed',
      );
      expect((refused.details as { prompt: unknown }).prompt).toMatchObject({ questionId: 3 });
      expect((await footprint(db, id)).lead).toMatchObject({ score: 20 });
    } finally {
      await other.close();
    }
  });

  it('an erase by another process sticks: a stale copy cannot write the lead again', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'profile', profile: { name: 'Erin', email: 'erin@example.com' } });
    const other = await openEngine(db, clock);
    try {
      await other.engine.erase(id, 'api-key:1');
    } finally {
      await other.close();
    }
    clock.advance(SECOND);
    await expectError(
      node.engine.handle(id, { kind: 'profile', profile: { name: 'Erin', email: 'erin@example.com' } }),
      'session_not_found',
    );
    await expectError(node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] }), 'session_not_found');
    const [row] = await db.query('select name, email, state, erased_at from leads where id = $1', [id]);
    expect(row).toMatchObject({ name: null, email: null, state: 'erased' });
    expect(row!.erased_at).not.toBeNull();
    await expectError(node.engine.view(id), 'session_not_found');
    await expectError(node.engine.record(id), 'session_not_found');
  });

  it('erased leads never keep an idle session from expiring', async () => {
    const erased: string[] = [];
    for (let i = 0; i < 600; i++) erased.push((await node.engine.startSession()).sessionId);
    for (const id of erased) await node.engine.erase(id, 'api-key:1');
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(31 * 60 * SECOND);
    let expired = 0;
    // What the sweeper does, a batch at a time, until nothing is left (at most 10 batches).
    for (let i = 0; i < 10; i++) {
      const n = await node.engine.expireIdle(500);
      expired += n;
      if (n === 0) break;
    }
    expect((await node.engine.view(id)).state).toBe('abandoned');
    const [{ n }] = (await db.query(
      "select count(*)::int as n from leads where erased_at is not null and state <> 'erased'",
    )) as [{ n: number }];
    expect(n).toBe(0);
    expect(expired).toBeGreaterThanOrEqual(1);
  });

  it('a snapshot that no longer fits the machine is rebuilt from the event log', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['about'] });
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['wholesale_fmcg'] });
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', text: 'Surat, Gujarat' });
    const [good] = await db.query('select snapshot from leads where id = $1', [id]);
    await db.query(
      `update leads set snapshot = jsonb_set(snapshot, '{snapshot,value}', '{"active":"qualifying"}') where id = $1`,
      [id],
    );
    node.engine.evict(id);
    const view = await node.engine.view(id);
    expect(view.state).toBe('questions');
    expect(view.prompt?.questionId).toBe(4);
    clock.advance(SECOND);
    const r = await node.engine.handle(id, { kind: 'reply', optionIds: ['just_me'] });
    expect(r.prompts[0]?.questionId).toBe(5);
    const [rebuilt] = await db.query('select snapshot from leads where id = $1', [id]);
    const context = (s: { snapshot: { snapshot: { context: { answered: number[] } } } }) =>
      s.snapshot.snapshot.context;
    expect(context(rebuilt as never).answered).toEqual([2, 3, 4]);
    expect(context(good as never).answered).toEqual([2, 3]);
  });

  it('idle sessions are abandoned once, with early_dropout, and can come back', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    clock.advance(31 * 60 * SECOND);
    expect(await node.engine.expireIdle()).toBeGreaterThanOrEqual(1);
    expect(await node.engine.expireIdle()).toBe(0);
    const view = await node.engine.view(id);
    expect(view).toMatchObject({ state: 'abandoned', score: 0 });
    clock.advance(SECOND);
    const r = await node.engine.handle(id, { kind: 'reply', optionIds: ['kirana_retail'] });
    expect(r.state).toBe('questions');
    expect(r.score).toBe(5);
  });

  it('an exit is stored with where the conversation stood, abandons it with early_dropout once, and is recorded after the end', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    clock.advance(SECOND);
    await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    clock.advance(SECOND);
    const exit = {
      kind: 'exit' as const,
      reason: 'closed_widget',
      questionId: 2,
      page: '/pricing',
      metadata: { scrolled: 0.4 },
    };
    const r = await engine.handle(id, exit);
    expect(r).toMatchObject({
      state: 'abandoned',
      score: 0,
      awarded: [{ behavior: 'early_dropout', points: -10 }],
    });
    const [row] = await db.query(
      `select seq, data from session_events where lead_id = $1 and type = 'visitor.input' order by seq desc limit 1`,
      [id],
    );
    expect(row).toEqual({
      seq: r.seq,
      data: {
        command: exit,
        exit: { step: 'questions', questionId: 2 },
        machineEvents: [{ type: 'visitor.exit', at: clock.t }],
      },
    });
    // Gone already: a second exit is recorded and costs nothing; the idle sweep has nothing to do.
    clock.advance(31 * 60 * SECOND);
    const again = await engine.handle(id, { kind: 'exit', reason: 'tab_closed' });
    expect(again).toMatchObject({ state: 'abandoned', score: 0, awarded: [] });
    expect(again.seq).toBeGreaterThan(r.seq!);
    const idle = await footprint(db, id);
    await engine.expireIdle();
    expect(await footprint(db, id)).toEqual(idle);
    // Back, and through to the end: an exit after that is still recorded, with nothing else.
    for (const command of [
      { kind: 'reply', optionIds: ['kirana_retail'] },
      { kind: 'reply', text: 'Pune' },
      { kind: 'reply', optionIds: ['just_me'] },
      { kind: 'reply', optionIds: ['under_50k'] },
      { kind: 'reply', optionIds: ['billing'] },
      { kind: 'contact', skip: true },
      { kind: 'reply', optionIds: ['talk_to_sales'] },
    ] as Parameters<typeof engine.handle>[1][]) {
      clock.advance(SECOND);
      await engine.handle(id, command);
    }
    const before = await footprint(db, id);
    expect(before.lead).toMatchObject({ state: 'completed' });
    const late = await engine.handle(id, { kind: 'exit', reason: 'done' });
    expect(late).toMatchObject({ state: 'completed', awarded: [], score: before.lead!.score });
    const [last] = await db.query(`select data from session_events where lead_id = $1 and seq = $2`, [
      id,
      late.seq,
    ]);
    expect(last).toEqual({
      data: {
        command: { kind: 'exit', reason: 'done' },
        exit: { step: 'completed', questionId: null },
        machineEvents: [],
      },
    });
    // Everything else is refused once the conversation has ended.
    await expectError(engine.handle(id, { kind: 'skip' }), 'session_closed');
  });

  it('skips the contact form for question_skipped (0 points); a required question or nothing pending cannot be skipped', async () => {
    const { engine } = node;
    const { sessionId: id } = await engine.startSession();
    const before = await footprint(db, id);
    // The greeting and the built-in questions are required.
    await expectError(engine.handle(id, { kind: 'skip' }), 'required_question');
    await expectError(engine.handle(id, { kind: 'skip', questionId: 3 }), 'required_question');
    await expectError(engine.handle(id, { kind: 'skip', questionId: 42 }), 'unknown_question');
    // The contact form, but not before the contact step.
    await expectError(engine.handle(id, { kind: 'skip', questionId: 7 }), 'invalid_state');
    expect(await footprint(db, id)).toEqual(before);
    await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    for (const q of engine.workflow.questions) {
      await engine.handle(id, {
        kind: 'answer',
        questionId: q.id,
        text: q.type === 'text' ? 'Pune' : q.options[0]!.label,
      });
    }
    const r = await engine.handle(id, { kind: 'skip', reason: 'no phone' });
    expect(r).toMatchObject({ state: 'cta', awarded: [{ behavior: 'question_skipped', points: 0 }] });
    expect(r.prompts.map((p) => p.step)).toEqual(['cta']);
    const ledger = await db.query(
      `select points, evidence from score_entries where lead_id = $1 and behavior = 'question_skipped'`,
      [id],
    );
    expect(ledger).toEqual([{ points: 0, evidence: { questionId: 7 } }]);
    await expectError(engine.handle(id, { kind: 'skip' }), 'invalid_state');
  });

  it('a stored snapshot of the machine before skips (version 2) is rebuilt from the event log', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    await db.query(
      `update leads set snapshot = jsonb_set(snapshot #- '{snapshot,context,skipped}', '{v}', '2') where id = $1`,
      [id],
    );
    node.engine.evict(id);
    clock.advance(SECOND);
    const r = await node.engine.handle(id, { kind: 'reply', optionIds: ['other'] });
    expect(r.prompts.at(-1)?.questionId).toBe(3);
    const [{ snapshot }] = (await db.query('select snapshot from leads where id = $1', [id])) as [
      { snapshot: { v: number; snapshot: { context: { skipped: number[] } } } },
    ];
    expect(snapshot.v).toBe(4);
    expect(snapshot.snapshot.context.skipped).toEqual([]);
  });

  it('a stored snapshot of the machine before branching (version 3) is rebuilt with the picks', async () => {
    const { sessionId: id } = await node.engine.startSession();
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    clock.advance(SECOND);
    await node.engine.handle(id, { kind: 'reply', optionIds: ['other'] });
    await db.query(
      `update leads set snapshot = jsonb_set(snapshot #- '{snapshot,context,picks}', '{v}', '3') where id = $1`,
      [id],
    );
    node.engine.evict(id);
    clock.advance(SECOND);
    const r = await node.engine.handle(id, { kind: 'reply', text: 'Pune' });
    expect(r.prompts.at(-1)?.questionId).toBe(4);
    const [{ snapshot }] = (await db.query('select snapshot from leads where id = $1', [id])) as [
      { snapshot: { v: number; snapshot: { context: { picks: Record<string, string[]> } } } },
    ];
    expect(snapshot.v).toBe(4);
    expect(snapshot.snapshot.context.picks).toEqual({ 2: ['other'], 3: [] });
  });
});
