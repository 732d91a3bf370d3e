import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AGENT_ACTIONS } from './store.js';

/** Seconds from routing to the first agent action: how many, the median and the 90th percentile. */
export interface SpeedGroup {
  responded: number;
  median_seconds: number | null;
  p90_seconds: number | null;
}

export interface SpeedToLead {
  /** Leads routed in the range; of them, those not answered yet and those answered past the SLA. */
  routed: number;
  waiting: number;
  sla_breached: number;
  sla_seconds: number;
  overall: SpeedGroup;
  /** By the agent who acted first, and by the team that owned the lead. */
  by_agent: (SpeedGroup & { agent_id: string; name: string | null })[];
  by_team: (SpeedGroup & { team: string })[];
}

const ACTED = AGENT_ACTIONS.map((t) => `'${t}'`).join(', ');

/**
 * Per lead routed in the range (by when it was routed): its first agent action after routing, from
 * the session log (takeover, message or marked contacted), with the agent who took it.
 */
const FIRST_RESPONSES = `
  with routed as (
    select l.id, l.routed_at, l.assigned_team, l.sla_breached_at from leads l
     where l.routed_at >= ? and l.routed_at < ? and l.erased_at is null),
  first as (
    select r.*, f.at as acted_at, f.agent_id, f.name from routed r
      left join lateral (
        select e.at, e.data->>'agentId' as agent_id, e.data->>'name' as name from session_events e
         where e.lead_id = r.id and e.type in (${ACTED}) and e.at >= r.routed_at
         order by e.seq limit 1) f on true)`;

const STATS = `count(acted_at)::int as responded,
  percentile_cont(0.5) within group (order by extract(epoch from acted_at - routed_at)) as median,
  percentile_cont(0.9) within group (order by extract(epoch from acted_at - routed_at)) as p90`;

const group = (r: Record<string, unknown>): SpeedGroup => ({
  responded: Number(r.responded ?? 0),
  median_seconds: r.median === null || r.median === undefined ? null : Number(r.median),
  p90_seconds: r.p90 === null || r.p90 === undefined ? null : Number(r.p90),
});

/** Speed to lead, computed in SQL over the session logs. */
export class SpeedReport {
  constructor(
    private readonly orm: MikroORM,
    private readonly slaSeconds: number,
  ) {}

  async report(range: { from: Date; to: Date }): Promise<SpeedToLead> {
    const conn = (this.orm.em.fork() as EntityManager).getConnection();
    const params = [range.from, range.to];
    // Three reads of the same range, side by side.
    const [[all], agents, teams] = await Promise.all([
      conn.execute<Record<string, unknown>[]>(
        `${FIRST_RESPONSES} select count(*)::int as routed, count(*) filter (where acted_at is null)::int as waiting,
         count(sla_breached_at)::int as breached, ${STATS} from first`,
        params,
      ),
      conn.execute<Record<string, unknown>[]>(
        `${FIRST_RESPONSES} select agent_id, max(name) as name, ${STATS} from first
        where agent_id is not null group by agent_id order by agent_id`,
        params,
      ),
      conn.execute<Record<string, unknown>[]>(
        `${FIRST_RESPONSES} select assigned_team as team, ${STATS} from first
        where assigned_team is not null group by assigned_team order by assigned_team`,
        params,
      ),
    ]);
    return {
      routed: Number(all?.routed ?? 0),
      waiting: Number(all?.waiting ?? 0),
      sla_breached: Number(all?.breached ?? 0),
      sla_seconds: this.slaSeconds,
      overall: group(all ?? {}),
      by_agent: agents.map((r) => ({
        agent_id: String(r.agent_id),
        name: (r.name as string) ?? null,
        ...group(r),
      })),
      by_team: teams.map((r) => ({ team: String(r.team), ...group(r) })),
    };
  }
}
