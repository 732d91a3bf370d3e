import { expect } from 'vitest';
import type { BotMessage, VisitorOutcome } from '../../src/protocol/index.js';
import type { TestDatabase } from './database.js';

/** What the tests of the /chat namespace (test/integration/socket-*.test.ts) share. */

export const SECOND = 1000;

/** The `awarded` list an acknowledgement is expected to carry: behaviour and points, in order. */
export const awards = (...pairs: [string, number][]): VisitorOutcome['awarded'] =>
  pairs.map(([behavior, points]) => ({ behavior, points }));

/** The acknowledgement of an accepted visitor event: the score, classification and step after it, and its awards. */
export const accepted = (
  score: number,
  classification: VisitorOutcome['classification'],
  state: VisitorOutcome['state'],
  ...pairs: [string, number][]
): { ok: true } & VisitorOutcome => ({ ok: true, score, classification, state, awarded: awards(...pairs) });

/** How many events the session has stored. */
export async function eventCount(db: TestDatabase, sessionId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int as n from session_events where lead_id = $1',
    [sessionId],
  );
  return row!.n;
}

/** How many leads the database holds. */
export async function leadCount(db: TestDatabase): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from leads');
  return row!.n;
}

/** The bot messages came in the order of their seqs, none twice. */
export function expectIncreasingSeqs(messages: BotMessage[]): void {
  const seqs = messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++)
    expect(seqs[i], `seqs ${seqs.join(',')}`).toBeGreaterThan(seqs[i - 1]!);
}
