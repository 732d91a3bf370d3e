import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { LeadCursor } from '../leads/cursor.js';
import { Answer, Lead } from './entities/index.js';
import { type LeadPage, LeadPages } from './lead-pages.js';
import type { LeadFilter, LeadRow } from './rows.js';

/** Leads as the board, the lead lists and the exports read them: without their actor snapshots. */
export class LeadQueries {
  private readonly pages: LeadPages;

  constructor(private readonly orm: MikroORM) {
    this.pages = new LeadPages(orm);
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /**
   * The visitor's other leads, newest first (at most `limit`): those of the same visitor id, or of the
   * same verified identity. Erased leads are left out (their keys are gone anyway).
   */
  async earlierLeads(lead: Pick<LeadRow, 'id' | 'visitorId' | 'identity'>, limit = 20): Promise<LeadRow[]> {
    const keys = [
      ...(lead.visitorId ? [{ visitorId: lead.visitorId }] : []),
      ...(lead.identity ? [{ identity: lead.identity }] : []),
    ];
    if (keys.length === 0) return [];
    const rows = await this.em().find(
      Lead,
      { $or: keys, id: { $ne: lead.id }, erasedAt: null },
      { exclude: ['snapshot'], orderBy: { createdAt: 'desc', id: 'desc' }, limit, disableIdentityMap: true },
    );
    return rows.map((r) => ({ ...r, snapshot: null }) as LeadRow);
  }

  /** A new session's link to the visitor's earlier leads: the newest, and whether any was SQL. */
  async returningOf(keys: {
    visitorId?: string;
    identity?: string;
  }): Promise<{ from: string; wasSql: boolean } | undefined> {
    const rows = await this.earlierLeads({
      id: '',
      visitorId: keys.visitorId ?? null,
      identity: keys.identity ?? null,
    });
    if (rows.length === 0) return undefined;
    return {
      from: rows[0]!.id,
      wasSql: rows.some((r) => r.classification === 'SQL' || r.qualifiedAt !== null),
    };
  }

  /** A lead's stored answers, oldest first (the transcript summary of a notification). */
  async answersOf(leadId: string): Promise<{ questionText: string; answer: string; answeredAt: Date }[]> {
    return this.em().find(
      Answer,
      { lead: leadId },
      { fields: ['questionText', 'answer', 'answeredAt'], orderBy: { answeredAt: 'asc', id: 'asc' } },
    );
  }

  /**
   * Leads by filter, without their actor snapshots: one page in the filter's order, after `after` (keyset)
   * or at its offset, with where the next page starts and — unless `count` is false — how many match
   * (counted up to a cap, estimated beyond it).
   */
  findLeads(filter: LeadFilter, after?: LeadCursor, count = true): Promise<LeadPage> {
    return this.pages.page(filter, after, count);
  }

  /** Leads matching a filter, in pages read one after another (keyset), for exports of any size. */
  async *leadPages(
    filter: Omit<LeadFilter, 'limit' | 'offset' | 'sort' | 'order'>,
    pageSize = 1000,
  ): AsyncGenerator<LeadRow[]> {
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const where: Record<string, unknown> = { erasedAt: null };
      if (filter.classification) where.classification = filter.classification;
      if (filter.state) where.state = filter.state;
      if (filter.utmSource) where.utmSource = filter.utmSource;
      if (filter.utmMedium) where.utmMedium = filter.utmMedium;
      if (filter.utmCampaign) where.utmCampaign = filter.utmCampaign;
      const created: Record<string, Date> = {};
      if (filter.from) created.$gte = filter.from;
      if (filter.to) created.$lt = filter.to;
      if (Object.keys(created).length > 0) where.createdAt = created;
      if (after) {
        where.$or = [
          { createdAt: { $gt: after.createdAt } },
          { createdAt: after.createdAt, id: { $gt: after.id } },
        ];
      }
      const rows = await this.em().find(Lead, where, {
        exclude: ['snapshot'],
        orderBy: { createdAt: 'asc', id: 'asc' },
        limit: pageSize,
        disableIdentityMap: true,
      });
      if (rows.length > 0) yield rows.map((row) => ({ ...row, snapshot: null }) as LeadRow);
      if (rows.length < pageSize) return;
      const last = rows.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * The behaviours these leads reported with metadata (`POST /api/behavior`), in order, per lead: read
   * from their event logs (so they go with retention and erasure), one statement for a page of leads.
   */
  async reportedMetadata(leadIds: readonly string[]): Promise<Map<string, ReportedMetadata[]>> {
    const out = new Map<string, ReportedMetadata[]>();
    if (leadIds.length === 0) return out;
    const rows = await this.em()
      .getConnection()
      .execute<{ lead_id: string; at: Date; action: string; metadata: Record<string, unknown> }[]>(
        `select lead_id, at, data #>> '{command,action}' as action, data #> '{command,metadata}' as metadata
           from session_events
          where lead_id = any(?::text[]) and type = 'visitor.input' and data #>> '{command,kind}' = 'action'
            and data #> '{command,metadata}' is not null
          order by lead_id, seq`,
        // One array parameter, however many leads (session ids are letters, digits and underscores).
        [`{${leadIds.join(',')}}`],
      );
    for (const r of rows) {
      const list = out.get(r.lead_id) ?? [];
      list.push({ action: r.action, at: new Date(r.at).toISOString(), metadata: r.metadata });
      out.set(r.lead_id, list);
    }
    return out;
  }
}

/** A behaviour a lead reported with metadata, as exports carry it. */
export interface ReportedMetadata {
  action: string;
  at: string;
  metadata: Record<string, unknown>;
}
