import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisitorCommand } from '../../src/conversation/commands.js';
import type { EventResult, SessionView } from '../../src/conversation/types.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type EngineNode, openEngine, TestClock } from '../support/engine.js';

const SECOND = 1000;

/** The whole journey, with the time before each step: long pauses make the visitor idle in between. */
const STEPS: [after: number, command: VisitorCommand][] = [
  [5 * SECOND, { kind: 'reply', optionIds: ['yes'] }],
  [600 * SECOND, { kind: 'reply', text: 'restaurant / café' }],
  [4 * SECOND, { kind: 'answer', questionId: 3, text: 'Koramangala, Bengaluru' }],
  [900 * SECOND, { kind: 'reply', optionIds: ['six_to_fifteen'] }],
  [3 * SECOND, { kind: 'reply', text: '₹2L – ₹5L' }],
  [6 * SECOND, { kind: 'reply', text: 'QR Payments, inventory' }],
  [300 * SECOND, { kind: 'contact', name: 'Asha Rao', phone: '98765 43210', email: 'asha@example.com' }],
  [5 * SECOND, { kind: 'action', action: 'clicked_product', targetId: 'demo' }],
  [120 * SECOND, { kind: 'reply', text: 'talk to sales rep' }],
];

/** What a visitor is told, without what differs between two sessions (ids, log positions). */
const told = (r: EventResult) => ({
  score: r.score,
  classification: r.classification,
  state: r.state,
  awarded: r.awarded,
  prompts: r.prompts.map(({ id: _id, seq: _seq, ...p }) => p),
});
const seen = (v: SessionView) => ({
  state: v.state,
  score: v.score,
  classification: v.classification,
  path: v.path,
  prompt: v.prompt && (({ id: _id, seq: _seq, ...p }) => p)(v.prompt),
});

/** What is stored about a lead, without its id. */
async function stored(db: TestDatabase, id: string) {
  const [lead] = await db.query(
    `select score, fit_score, engagement_score, classification, state, version, last_seq, business_type,
            staff_size, monthly_sales, features_interested, name, phone, email, completed_at, qualified_at
       from leads where id = $1`,
    [id],
  );
  const ledger = await db.query(
    'select behavior, points, once_key, event_seq, at from score_entries where lead_id = $1 order by event_seq, behavior',
    [id],
  );
  const answers = await db.query(
    'select question_id, answer, points, latency_ms from answers where lead_id = $1 order by question_id',
    [id],
  );
  const events = await db.query('select seq, type from session_events where lead_id = $1 order by seq', [id]);
  return { lead, ledger, answers, events };
}

describe('a visitor whose actor was parked while idle', () => {
  let db: TestDatabase;
  /** Keeps one running actor: any other session's event parks the one before it. */
  let parking: EngineNode;
  /** Keeps every actor running. */
  let running: EngineNode;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    parking = await openEngine(db, clock, undefined, { runningActors: 1 });
    running = await openEngine(db, clock);
  });
  afterAll(async () => {
    await parking?.close();
    await running?.close();
    await db?.drop();
  });

  it('continues exactly as a visitor whose actor kept running: same answers, same stored lead', async () => {
    const idle = await parking.engine.startSession({ utmSource: 'google_ads' });
    const live = await running.engine.startSession({ utmSource: 'google_ads' });
    const other = await parking.engine.startSession();
    expect(told(idle)).toEqual(told(live));

    for (const [after, command] of STEPS) {
      clock.advance(after);
      // Someone else's event on the same node: the idle visitor's actor is parked as a snapshot.
      await parking.engine.handle(other.sessionId, { kind: 'page', url: 'https://example.com/pricing' });
      expect(parking.engine.isCached(idle.sessionId)).toBe(true);
      expect(parking.engine.isRunning(idle.sessionId)).toBe(false);
      expect(seen(await parking.engine.view(idle.sessionId))).toEqual(
        seen(await running.engine.view(live.sessionId)),
      );

      const a = await parking.engine.handle(idle.sessionId, command);
      const b = await running.engine.handle(live.sessionId, command);
      expect(told(a)).toEqual(told(b));
      expect(parking.engine.isRunning(idle.sessionId)).toBe(true);
      expect(running.engine.isRunning(live.sessionId)).toBe(true);
    }

    const after = await stored(db, idle.sessionId);
    expect(after.lead).toMatchObject({ state: 'completed', classification: 'SQL' });
    expect(after).toEqual(await stored(db, live.sessionId));
  });

  it('a duplicate message after the actor was parked is answered as the first one was', async () => {
    const { sessionId: id } = await parking.engine.startSession();
    clock.advance(5 * SECOND);
    const first = await parking.engine.handle(id, { kind: 'reply', optionIds: ['yes'] }, 'm-1');
    await parking.engine.startSession();
    expect(parking.engine.isRunning(id)).toBe(false);
    clock.advance(700 * SECOND);
    const again = await parking.engine.handle(id, { kind: 'reply', optionIds: ['yes'] }, 'm-1');
    expect(again).toMatchObject({ duplicate: true, score: first.score, awarded: first.awarded });
    expect(again.prompts.map((p) => p.questionId)).toEqual(first.prompts.map((p) => p.questionId));
  });
});
