import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Trigger } from '../conversation/triggers.js';

/** The session events that are an agent's response to a lead. */
export const AGENT_ACTIONS = ['agent.joined', 'agent.message', 'agent.contacted'] as const;
const ACTED = `(${AGENT_ACTIONS.map((t) => `'${t}'`).join(', ')})`;

/** Whether the lead `l` has an agent action at or after the SQL expression `since`. */
const actedSince = (since: string) =>
  `exists (select 1 from session_events e where e.lead_id = l.id and e.type in ${ACTED} and e.at >= ${since})`;

/** How each trigger shows on a lead row, for leads whose routing a stopped node left undone. */
const REACHED: Record<Trigger, string> = {
  sql: 'l.qualified_at is not null',
  human_help: 'l.human_help',
  completed: 'l.completed_at is not null',
  contact_shared: '(l.email is not null or l.phone is not null)',
  demo_requested: `exists (select 1 from score_entries s where s.lead_id = l.id and s.behavior = 'clicked_demo')`,
  abandoned_with_contact: `(l.state = 'abandoned' and (l.email is not null or l.phone is not null))`,
  returning_lead: '(l.returning_from is not null and (l.returning_sql or l.qualified_at is not null))',
};

/** What routing reads of the leads, in SQL. */
export class RoutingStore {
  constructor(private readonly orm: MikroORM) {}

  private execute<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (this.orm.em.fork() as EntityManager).getConnection().execute<T[]>(sql, params);
  }

  /** Per agent, the leads they own that are still waiting for their follow-up (assigned, not contacted). */
  async activeCounts(agentIds: readonly string[]): Promise<Map<string, number>> {
    if (agentIds.length === 0) return new Map();
    const rows = await this.execute<{ assigned_to: string; n: number }>(
      `select assigned_to, count(*)::int as n from leads
        where assigned_to in (select jsonb_array_elements_text(?::jsonb))
          and contacted_at is null and erased_at is null group by assigned_to`,
      // One JSON parameter, whatever an agent id holds.
      [JSON.stringify(agentIds)],
    );
    return new Map(rows.map((r) => [r.assigned_to, r.n]));
  }

  /**
   * Leads that reached a trigger between `since` and `before` but were never routed (their node stopped
   * first); `before` leaves the committing node the time to route them itself.
   */
  async unrouted(triggers: readonly Trigger[], since: Date, before: Date, limit = 200): Promise<string[]> {
    // Created in the last day (its index bounds the scan), changed between `since` and `before`.
    const rows = await this.execute<{ id: string }>(
      `select l.id from leads l
        where l.created_at >= ?::timestamptz - interval '1 day' and l.updated_at >= ? and l.updated_at < ?
          and l.routed_at is null and l.erased_at is null and (${triggers.map((t) => REACHED[t]).join(' or ')})
        order by l.updated_at limit ?`,
      [since, since, before, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Leads routed since `since` that nobody has responded to since their owner got them (or since
   * routing, while the team holds them), not escalated or contacted: candidates to hand on.
   */
  async waiting(since: Date, limit = 200): Promise<string[]> {
    const rows = await this.execute<{ id: string }>(
      `select l.id from leads l
        where l.routed_at >= ? and l.escalated_at is null and l.contacted_at is null
          and l.erased_at is null and not ${actedSince('coalesce(l.assigned_at, l.routed_at)')}
        order by l.routed_at limit ?`,
      [since, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Whether an agent acted on the lead at or after `since`. */
  async acted(leadId: string, since: Date): Promise<boolean> {
    const rows = await this.execute<{ acted: boolean }>(
      `select ${actedSince('?')} as acted from leads l where l.id = ?`,
      [since, leadId],
    );
    return rows[0]?.acted ?? false;
  }

  /** Routed between `since` and `cutoff`, no agent action since routing, no breach recorded yet. */
  async overdue(cutoff: Date, since: Date, limit = 200): Promise<string[]> {
    const rows = await this.execute<{ id: string }>(
      `select l.id from leads l
        where l.routed_at <= ? and l.routed_at >= ? and l.sla_breached_at is null and l.erased_at is null
          and not ${actedSince('l.routed_at')}
        order by l.routed_at limit ?`,
      [cutoff, since, limit],
    );
    return rows.map((r) => r.id);
  }
}
