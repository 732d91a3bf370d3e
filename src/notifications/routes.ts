import type { z } from 'zod';
import { triggers as leadTriggers, notificationChannels, routingTriggers } from '../conversation/triggers.js';

/** Every trigger a channel can be routed: a lead's and routing's. */
const triggers: readonly string[] = [...leadTriggers, ...routingTriggers];

/**
 * NOTIFICATION_ROUTES, `email=sql,human_help;slack=sql,demo_requested`, as channel → triggers; a part
 * that names an unknown channel or trigger is an issue of the variable.
 */
export function parseNotificationRoutes(
  v: string | undefined,
  ctx: z.RefinementCtx,
): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  for (const part of (v ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [channel, list] = part.split('=');
    const named = (list ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (
      !channel ||
      !notificationChannels.includes(channel.trim() as never) ||
      named.some((t) => !triggers.includes(t))
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}": use channel=trigger,… with channels ${notificationChannels.join('|')} and triggers ${triggers.join('|')}`,
      });
      return {};
    }
    routes[channel.trim()] = named;
  }
  return routes;
}
