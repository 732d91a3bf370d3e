import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { BatchWriter } from './batch-writer.js';
import { Lead, ScoreEntry, SessionEvent } from './entities/index.js';
import type { CommitUnit, EventRow, LeadRow, LedgerRow, StoredSession } from './rows.js';

/**
 * The conversations as the engine reads and writes them: a session to resume, its log and ledger, its
 * version, the idle ones, the commit of an event's change, and erasure. Lead lists and exports read
 * through LeadQueries, experiments through ExperimentStore, retention through RetentionStore.
 */
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

  /** The latest `limit` events of the session log, in order. */
  async eventTail(leadId: string, limit: number): Promise<EventRow[]> {
    const rows = await this.em().find(
      SessionEvent,
      { lead: leadId },
      { orderBy: { seq: 'desc' }, limit, disableIdentityMap: true },
    );
    return rows.reverse().map(toEventRow);
  }

  private async ledger(leadId: string): Promise<LedgerRow[]> {
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
   * Erases a lead's personal data everywhere in one transaction: profile and custom fields, the attribution touches
   * (referrer and landing page URLs may carry it; the first touch's source, medium and campaign stay
   * for counts), the actor snapshot,
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
           staff_size = null, monthly_sales = null, features_interested = '[]', custom_fields = '{}',
           locale = null, first_touch = null, last_touch = null, last_touch_at = null, current_page = null,
           visitor_id = null, identity = null,
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
      // The WhatsApp door's copies (docs/whatsapp.md): what the user wrote, and their number.
      await conn.execute(
        `delete from whatsapp_inbox where session_id = ?
            or wa_id in (select wa_id from whatsapp_contacts where session_id = ?)`,
        [id, id],
      );
      await conn.execute('delete from whatsapp_contacts where session_id = ?', [id]);
      await conn.execute(`update whatsapp_messages set wa_id = '' where lead_id = ?`, [id]);
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
