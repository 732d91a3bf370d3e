import type { LeadRow } from '../persistence/rows.js';

/** The lead columns routing owns (src/persistence/entities/lead.ts). */
export type RoutingFields = Pick<
  LeadRow,
  | 'routedAt'
  | 'assignedTeam'
  | 'assignedTo'
  | 'assignedName'
  | 'assignedAt'
  | 'routingTried'
  | 'escalatedAt'
  | 'contactedAt'
  | 'slaBreachedAt'
  | 'callbackAt'
>;

/** A new lead's routing columns: not routed yet. */
export const UNROUTED: RoutingFields = {
  routedAt: null,
  assignedTeam: null,
  assignedTo: null,
  assignedName: null,
  assignedAt: null,
  routingTried: [],
  escalatedAt: null,
  contactedAt: null,
  slaBreachedAt: null,
  callbackAt: null,
};

/** Who owns a lead as exports, notifications and webhooks say it: the agent's name, else the team. */
export function ownerName(lead: Partial<RoutingFields> & Pick<LeadRow, 'takenOverBy'>): string | null {
  return lead.assignedName ?? lead.assignedTeam ?? lead.takenOverBy ?? null;
}
