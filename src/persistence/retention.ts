import type { Logger } from '../logger.js';
import type { SessionStore } from './session-store.js';

const HOUR = 3_600_000;

/**
 * Deletes event-log and answer rows older than the retention period, once an hour (and at start).
 * Aggregates keep working on what remains; leads stay until erased.
 */
export function startRetention(
  store: Pick<SessionStore, 'deleteOlderThan'>,
  days: number,
  logger: Logger,
  now: () => number = Date.now,
): { runOnce(): Promise<{ events: number; answers: number }>; stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const runOnce = async () => {
    const removed = await store.deleteOlderThan(new Date(now() - days * 24 * HOUR));
    if (removed.events + removed.answers > 0) logger.info({ ...removed, days }, 'retention removed old rows');
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
