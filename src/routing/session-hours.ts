import type { LeadRow } from '../persistence/rows.js';
import type { SessionHello } from '../protocol/chat.js';
import { afterHoursFor } from './after-hours.js';
import { offerFor } from './callback-offer.js';
import type { AgentPresence } from './presence.js';
import type { Routing } from './rules.js';

/**
 * Whether a session is after hours now, for its greeting: the lead's team (as the rules pick it from the
 * lead as the handshake just started or resumed it) closed or with nobody online, and when it is back.
 * The edge's work, on its clock.
 */
export function sessionAfterHours(
  routing: Routing,
  agents: Pick<AgentPresence, 'list'>,
  now: () => number,
): (lead: LeadRow) => Promise<SessionHello['afterHours'] | null> {
  return async (lead) => {
    const after = afterHoursFor(routing, lead, await agents.list(), now());
    return after ? offerFor(after, lead.locale) : null;
  };
}
