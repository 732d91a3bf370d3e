import type { Logger } from '../logger.js';

/**
 * Sends the idle deadline to sessions from outside the machine (XState `after` timers are not
 * persisted): every `intervalMs` it asks the engine to expire idle sessions.
 */
export function startIdleSweeper(
  engine: { expireIdle(): Promise<number> },
  intervalMs: number,
  logger: Logger,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = engine
      .expireIdle()
      .then((n) => n > 0 && logger.info({ expired: n }, 'idle sessions abandoned'))
      .catch((err: unknown) => logger.warn({ err }, 'idle sweep failed'));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
