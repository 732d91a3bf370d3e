import type { Logger } from '../logger.js';
import type { Analytics } from './analytics.js';

/** How often every node folds the hours marked since into the rollup, when nobody asks for analytics. */
export const ROLLUP_REFRESH_MS = 60_000;

/**
 * Keeps the analytics rollup folded in the background: every write transaction marks the hours it
 * touched (one `analytics_dirty` row each), and a report folds them before it reads, but a server whose
 * analytics nobody opens would keep every mark. A refresh on every node is safe (they serialize on the
 * rollup's lock and each takes only the marks committed before it); the first runs soon after start-up,
 * so the first report after a large import does not pay for the whole recount.
 */
export function startRollupRefresh(
  analytics: Pick<Analytics, 'refresh'>,
  logger: Logger,
  everyMs = ROLLUP_REFRESH_MS,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const tick = () => {
    if (busy) return; // A long recount (the first after an import) is never run twice at once.
    busy = true;
    running = analytics
      .refresh()
      .then((hours) => {
        if (hours > 0) logger.debug({ hours }, 'analytics rollup refreshed');
      })
      .catch((err: unknown) => logger.warn({ err }, 'analytics rollup refresh failed'))
      .finally(() => {
        busy = false;
      });
  };
  const first = setTimeout(tick, Math.min(everyMs, 5_000));
  const timer = setInterval(tick, everyMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
