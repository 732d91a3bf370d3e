import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ConversationEngine } from '../../src/conversation/engine.js';
import type { Logger } from '../../src/logger.js';
import type { TestDatabase } from './database.js';
import { answerAll, rowsOf } from './notifications.js';
import { waitFor } from './time.js';

/**
 * What the CRM tests (test/integration/crm-*.test.ts) share: a logger whose every line the test can
 * read (no secret may be in it), the journey of a lead to SQL, contact and completion, and the ids
 * stored for a lead.
 */

/** A logger at `debug` that keeps every line it writes. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export const CONTACT = { name: 'Asha Rao', phone: '98765 43210' } as const;

/** A lead from an ad that answered every question (SQL and completed: its CRM rows are queued). */
export async function answeredLead(engine: ConversationEngine): Promise<string> {
  const { sessionId } = await engine.startSession({ utmSource: 'ads' });
  await answerAll(engine, sessionId);
  return sessionId;
}

/**
 * SQL and completed at the sixth answer (no e-mail yet; skipped when `answered`), then the contact
 * (contact_shared), then a CTA.
 */
export async function fullJourney(engine: ConversationEngine, id: string, email: string, answered = false) {
  if (!answered) await answerAll(engine, id);
  await engine.handle(id, { kind: 'contact', ...CONTACT, email });
  await engine.handle(id, { kind: 'action', action: 'clicked_product', targetId: 'demo' });
  return engine.handle(id, { kind: 'reply', text: 'talk to sales rep' });
}

/** The ids stored for a lead in one CRM, by kind. */
export async function storedIds(
  db: TestDatabase,
  lead: string,
  crm: string,
): Promise<Record<string, string>> {
  const rows = await db.query<{ kind: string; external_id: string }>(
    `select kind, external_id from crm_links where lead_id = $1 and crm = $2 and kind <> 'lease'`,
    [lead, crm],
  );
  return Object.fromEntries(rows.map((r) => [r.kind, r.external_id]));
}

/** Waits until the lead has `n` rows on the channel and none is still queued; they, oldest first. */
export async function crmRows(db: TestDatabase, lead: string, channel: string, n: number, ms = 15_000) {
  let last: unknown[] = [];
  try {
    return await waitFor(
      `${n} settled ${channel} notifications of ${lead}`,
      async () => {
        const rows = (await rowsOf(db, lead)).filter((r) => r.channel === channel);
        last = rows.map((r) => [r.trigger, r.status, r.attempts, r.last_error]);
        return rows.length === n && rows.every((r) => r.status === 'sent' || r.status === 'dead')
          ? rows
          : false;
      },
      ms,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; rows: ${JSON.stringify(last)}`);
  }
}
