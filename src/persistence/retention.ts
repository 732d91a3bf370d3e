import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';

const HOUR = 3_600_000;

/**
 * What retention removes: the old rows of the event log and the answers, and the WhatsApp door's
 * processed messages and delivery statuses (leads stay until erased).
 */
export class RetentionStore {
  constructor(private readonly orm: MikroORM) {}

  /** Deletes event-log and answer rows older than `before`, and WhatsApp messages processed before; leads stay. */
  async deleteOlderThan(before: Date): Promise<{ events: number; answers: number; whatsapp: number }> {
    const conn = (this.orm.em.fork() as EntityManager).getConnection();
    const events = await conn.execute<{ n: number }[]>(
      'with d as (delete from session_events where at < ? returning 1) select count(*)::int as n from d',
      [before],
    );
    const answers = await conn.execute<{ n: number }[]>(
      'with d as (delete from answers where answered_at < ? returning 1) select count(*)::int as n from d',
      [before],
    );
    // What WhatsApp users wrote, once processed; a message still waiting is kept whatever its age.
    const whatsapp = await conn.execute<{ n: number }[]>(
      `with d as (delete from whatsapp_inbox where processed_at < ? returning 1) select count(*)::int as n from d`,
      [before],
    );
    await conn.execute('delete from whatsapp_statuses where at < ?', [before]);
    return { events: events[0]?.n ?? 0, answers: answers[0]?.n ?? 0, whatsapp: whatsapp[0]?.n ?? 0 };
  }
}

/**
 * Deletes event-log and answer rows (and processed WhatsApp messages) older than the retention period,
 * once an hour (and at start).
 * Aggregates keep working on what remains; leads stay until erased.
 */
export function startRetention(
  store: Pick<RetentionStore, 'deleteOlderThan'>,
  days: number,
  logger: Logger,
  now: () => number = Date.now,
): { runOnce(): Promise<{ events: number; answers: number; whatsapp: number }>; stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const runOnce = async () => {
    const removed = await store.deleteOlderThan(new Date(now() - days * 24 * HOUR));
    if (removed.events + removed.answers + removed.whatsapp > 0)
      logger.info({ ...removed, days }, 'retention removed old rows');
    return removed;
  };
  const tick = () => {
    running = runOnce().catch((err: unknown) => logger.warn({ err }, 'retention run failed'));
  };
  const first = setTimeout(tick, 10_000);
  const timer = setInterval(tick, HOUR);
  first.unref();
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
