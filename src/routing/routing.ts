import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { AgentPresence } from './presence.js';
import { Router, type RouterOptions } from './router.js';

/** Routing on this node: the router, the agents' presence it reads, and its clock's sweeps. */
export interface RoutingService {
  router: Router;
  agents: AgentPresence;
  stop(): Promise<void>;
}

/**
 * Starts routing: leads are routed as their commits reach a trigger, and every ROUTING_SWEEP_SECONDS
 * the sweep hands on waiting leads and records SLA breaches on the server's clock.
 */
export function startRouting(
  config: Pick<Config, 'routing'>,
  options: Omit<RouterOptions, 'reassignAfterMs' | 'slaMs'>,
  logger: Logger,
): RoutingService {
  const router = new Router({
    ...options,
    reassignAfterMs: config.routing.reassignAfterSeconds * 1000,
    slaMs: config.routing.slaSeconds * 1000,
  });
  const unsubscribe = router.start();
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = router.sweep().catch((err: unknown) => logger.warn({ err }, 'routing sweep failed'));
  }, config.routing.sweepSeconds * 1000);
  timer.unref();
  return {
    router,
    agents: options.agents,
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await running;
    },
  };
}
