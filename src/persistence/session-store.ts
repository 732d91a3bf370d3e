import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { BatchWriter } from './batch-writer.js';
import { Lead, ScoreEntry, SessionEvent } from './entities/index.js';
import type { CommitUnit, EventRow, LeadFilter, LeadRow, LedgerRow, StoredSession } from './rows.js';

/** The repository of conversations: the only code that reads or writes their tables. */
export class SessionStore {
  private readonly writer: BatchWriter;

  constructor(private readonly orm: MikroORM) {
    this.writer = new BatchWriter(orm);
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  async loadSession(id: string): Promise<StoredSession | null> {
    const em = this.em();
    const lead = await em.findOne(Lead, { id }, { disableIdentityMap: true });
    if (!lead) return null;
    const conn = em.getConnection();
    const [keys, ids] = await Promise.all([
      conn.execute<{ once_key: string }[]>('select once_key from score_entries where lead_id = ?', [id]),
      conn.execute<{ client_message_id: string }[]>(
        'select client_message_id from session_events where lead_id = ? and client_message_id is not null',
        [id],
      ),
    ]);
    return {
      lead: { ...lead } as LeadRow,
      awardedKeys: keys.map((k) => k.once_key),
      clientMessageIds: ids.map((r) => r.client_message_id),
    };
  }

  /** The stored input event of a client message, if any. */
  async findMessage(leadId: string, clientMessageId: string): Promise<EventRow | null> {
    const row = await this.em().findOne(
      SessionEvent,
      { lead: leadId, clientMessageId },
      { disableIdentityMap: true },
    );
    return row ? toEventRow(row) : null;
  }

  /** The last row of a type in the session's log (e.g. the prompt the visitor was last shown). */
  async lastEvent(leadId: string, type: string): Promise<EventRow | null> {
    const row = await this.em().findOne(
      SessionEvent,
      { lead: leadId, type },
      { orderBy: { seq: 'desc' }, disableIdentityMap: true },
    );
    return row ? toEventRow(row) : null;
  }

  /** The session event log after `sinceSeq`, in order. */
  async eventLog(leadId: string, sinceSeq = 0): Promise<EventRow[]> {
    const rows = await this.em().find(
      SessionEvent,
      { lead: leadId, seq: { $gt: sinceSeq } },
      { orderBy: { seq: 'asc' }, disableIdentityMap: true },
    );
    return rows.map(toEventRow);
  }

  async ledger(leadId: string): Promise<LedgerRow[]> {
    const rows = await this.em().find(
      ScoreEntry,
      { lead: leadId },
      { orderBy: { id: 'asc' }, disableIdentityMap: true },
    );
    return rows.map(({ behavior, points, onceKey, evidence, eventSeq, at }) => ({
      behavior,
      points,
      onceKey,
      evidence,
      eventSeq,
      at,
    }));
  }

  /** Ids of open sessions with no visitor activity since `before`. */
  async idleSessions(states: readonly string[], before: Date, limit: number): Promise<string[]> {
    const rows = await this.em().find(
      Lead,
      { state: { $in: [...states] }, lastActivityAt: { $lt: before }, erasedAt: null },
      { fields: ['id'], orderBy: { lastActivityAt: 'asc' }, limit, disableIdentityMap: true },
    );
    return rows.map((r) => r.id);
  }

  /** A lead and its ledger, straight from the database (null when there is no such lead). */
  async leadRecord(id: string): Promise<{ lead: LeadRow; ledger: LedgerRow[] } | null> {
    const lead = await this.em().findOne(Lead, { id }, { exclude: ['snapshot'], disableIdentityMap: true });
    if (!lead) return null;
    return { lead: { ...lead, snapshot: null } as LeadRow, ledger: await this.ledger(id) };
  }

  /**
   * Erases a lead's personal data everywhere in one transaction: profile fields, the actor snapshot,
   * answers, the text of its event log, notification notes and errors. The lead row stays as an
   * anonymous tombstone, closed (state `erased`) at a new version, so a write computed from any earlier
   * copy of it is refused by the version check; `lead.erased` ends its log. Null when there is no such
   * lead, or it was erased already.
   */
  async erase(id: string, by: string, at: Date): Promise<{ lead: LeadRow; event: EventRow } | null> {
    return this.em().transactional(async (tx) => {
      const conn = tx.getConnection();
      const [erased] = await conn.execute<{ seq: number }[]>(
        `update leads set name = null, email = null, phone = null, business_type = null, location = null,
           staff_size = null, monthly_sales = null, features_interested = '[]', locale = null,
           snapshot = 'null', state = 'erased', taken_over_by = null, version = version + 1,
           last_seq = last_seq + 1, erased_at = ?, erased_by = ?, updated_at = ?
         where id = ? and erased_at is null returning last_seq as seq`,
        [at, by, at, id],
      );
      if (!erased) return null;
      await conn.execute('delete from answers where lead_id = ?', [id]);
      // Keep the log's shape (seq, type, time) for counts; drop everything said in it.
      await conn.execute(
        `update session_events set data = '{"erased": true}'::jsonb, result = null where lead_id = ?`,
        [id],
      );
      await conn.execute(`update score_entries set evidence = '{}'::jsonb where lead_id = ?`, [id]);
      await conn.execute('update notifications set note = null, last_error = null where lead_id = ?', [id]);
      const event: EventRow = { seq: erased.seq, type: 'lead.erased', at, data: { by } };
      await conn.execute('insert into session_events (lead_id, seq, type, at, data) values (?, ?, ?, ?, ?)', [
        id,
        event.seq,
        event.type,
        at,
        JSON.stringify(event.data),
      ]);
      const lead = await tx.findOne(Lead, { id }, { exclude: ['snapshot'], disableIdentityMap: true });
      return { lead: { ...lead!, snapshot: null } as LeadRow, event };
    });
  }

  /** Deletes event-log and answer rows older than `before` (retention); leads stay. */
  async deleteOlderThan(before: Date): Promise<{ events: number; answers: number }> {
    const conn = this.em().getConnection();
    const events = await conn.execute<{ n: number }[]>(
      'with d as (delete from session_events where at < ? returning 1) select count(*)::int as n from d',
      [before],
    );
    const answers = await conn.execute<{ n: number }[]>(
      'with d as (delete from answers where answered_at < ? returning 1) select count(*)::int as n from d',
      [before],
    );
    return { events: events[0]?.n ?? 0, answers: answers[0]?.n ?? 0 };
  }

  /** Leads matching a filter, in pages read one after another (keyset), for exports of any size. */
  async *streamLeads(
    filter: Omit<LeadFilter, 'limit' | 'offset' | 'sort' | 'order'>,
    pageSize = 1000,
  ): AsyncGenerator<LeadRow> {
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const where: Record<string, unknown> = { erasedAt: null };
      if (filter.classification) where.classification = filter.classification;
      if (filter.state) where.state = filter.state;
      if (filter.utmSource) where.utmSource = filter.utmSource;
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
      for (const row of rows) yield { ...row, snapshot: null } as LeadRow;
      if (rows.length < pageSize) return;
      const last = rows.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /** Records a conversion once per lead, test and type; false when it was already there. */
  async recordConversion(c: {
    leadId: string;
    testName: string;
    variant: string;
    type: string;
    value: number | null;
  }) {
    const rows = await this.em()
      .getConnection()
      .execute<{ id: number }[]>(
        `insert into experiment_conversions (lead_id, test_name, variant, conversion_type, value, at)
         select ?, ?, ?, ?, ?, now() where exists (select 1 from leads where id = ? and erased_at is null)
         on conflict (lead_id, test_name, conversion_type) do nothing returning id`,
        [c.leadId, c.testName, c.variant, c.type, c.value, c.leadId],
      );
    return rows.length === 1;
  }

  /** Sessions per variant and conversions per variant and type of one experiment, counted in SQL. */
  async experimentCounts(testName: string) {
    const conn = this.em().getConnection();
    const [sessions, conversions] = await Promise.all([
      conn.execute<{ variant: string; n: number }[]>(
        `select variants ->> ? as variant, count(*)::int as n from leads where jsonb_exists(variants, ?) group by 1`,
        [testName, testName],
      ),
      conn.execute<{ variant: string; type: string; n: number }[]>(
        `select variant, conversion_type as type, count(*)::int as n from experiment_conversions
          where test_name = ? group by 1, 2`,
        [testName],
      ),
    ]);
    return { sessions, conversions };
  }

  /** Leads by filter, without their actor snapshots, with the total count for paging. */
  async findLeads(filter: LeadFilter): Promise<{ rows: LeadRow[]; total: number }> {
    const where: Record<string, unknown> = {};
    if (filter.classification) where.classification = filter.classification;
    if (filter.state) where.state = filter.state;
    if (filter.utmSource) where.utmSource = filter.utmSource;
    if (filter.from || filter.to) {
      where.createdAt = {
        ...(filter.from ? { $gte: filter.from } : {}),
        ...(filter.to ? { $lt: filter.to } : {}),
      };
    }
    if (filter.activeSince || filter.ids) {
      where.$or = [
        ...(filter.activeSince ? [{ lastActivityAt: { $gte: filter.activeSince } }] : []),
        ...(filter.ids && filter.ids.length > 0 ? [{ id: { $in: filter.ids } }] : []),
      ];
    }
    const order = filter.order ?? 'desc';
    const orderBy =
      filter.sort === 'time'
        ? { createdAt: order, id: order }
        : { score: order, lastActivityAt: 'desc' as const, id: 'asc' as const };
    const [rows, total] = await this.em().findAndCount(Lead, where, {
      exclude: ['snapshot'],
      orderBy,
      limit: filter.limit,
      offset: filter.offset ?? 0,
      disableIdentityMap: true,
    });
    return { rows: rows.map((r) => ({ ...r, snapshot: null }) as LeadRow), total };
  }

  /** The lead's stored version, or null when it does not exist (or, with `erased: false`, is erased). */
  async version(id: string, options: { erased?: false } = {}): Promise<number | null> {
    const rows = await this.em()
      .getConnection()
      .execute<{ version: number }[]>(
        `select version from leads where id = ?${options.erased === false ? ' and erased_at is null' : ''}`,
        [id],
      );
    return rows[0]?.version ?? null;
  }

  /**
   * Commits one event's change in one transaction. Throws VersionConflict when the lead moved on,
   * DuplicateMessage when its client message id is already stored; nothing is written then.
   */
  async commit(unit: CommitUnit): Promise<void> {
    const [err] = await this.writer.write([unit]);
    if (err) throw err;
  }

  /**
   * Commits many units in one transaction (see BatchWriter): a unit that fails (a version conflict, a
   * duplicate, a value the database refuses) fails alone and the rest commit. Returns, per unit, null
   * or its error.
   */
  commitMany(units: readonly CommitUnit[]): Promise<(Error | null)[]> {
    return this.writer.write(units);
  }
}

function toEventRow(row: EventRow): EventRow {
  return {
    seq: row.seq,
    type: row.type,
    at: row.at,
    data: row.data,
    clientMessageId: row.clientMessageId ?? null,
    result: row.result ?? null,
  };
}
