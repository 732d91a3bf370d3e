import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/** A message from a WhatsApp user as the webhook stored it. */
export interface InboundRow {
  id: number;
  messageId: string;
  waId: string;
  type: string;
  message: Record<string, unknown>;
  profileName: string | null;
  /** When the user sent it (Meta's timestamp). */
  sentAt: Date;
  attempts: number;
  /** The claim's token: only the claim still current may record the outcome. */
  lockedUntil: Date;
}

/** A message from a WhatsApp user as a webhook notification carries it, before it is stored. */
export interface InboundMessage {
  messageId: string;
  waId: string;
  type: string;
  message: unknown;
  profileName: string | null;
  /** When the user sent it (Meta's timestamp). */
  sentAt: Date;
}

/** A status Meta reported for a message we sent. */
export interface StatusReport {
  wamid: string;
  status: string;
  at: Date;
  error: string | null;
}

/** A message to or from the WhatsApp user of a session, as agents see it. */
export interface ThreadMessage {
  direction: 'in' | 'out';
  /** The inbound message id, or the Graph API's id of a sent one. */
  id: string;
  /** Inbound: the message type; outbound: `text`, `buttons` or `list`. */
  kind: string;
  at: string;
  /** Inbound: processed, waiting, or what processing ended in. */
  outcome?: string;
  /** Inbound: what the user wrote, for a text message (one the bot could not take, too). */
  text?: string;
  /** Outbound: the latest delivery status (sent, delivered, read, failed) and every one reported. */
  status?: string;
  statuses?: { status: string; at: string; error: string | null }[];
  /** Outbound: the session event it carries (`<seq>`), or a door note (`note:<inbox id>`). */
  ref?: string;
}

const ORDER = ['accepted', 'sent', 'delivered', 'read'];

/** The WhatsApp door's tables: the inbox, the user → session links, sent messages and their statuses. */
export class WhatsAppStore {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  private async execute<T>(sql: string, params: unknown[] = []): Promise<T> {
    return (await this.em().getConnection().execute(sql, params)) as T;
  }

  /** Stores messages (a message id already stored is left alone: Meta retries). Returns how many were new. */
  async storeInbound(messages: InboundMessage[], statuses: StatusReport[]): Promise<number> {
    let added = 0;
    await this.em().transactional(async (em) => {
      const conn = em.getConnection();
      if (messages.length > 0) {
        const rows = await conn.execute<{ id: string }[]>(
          `insert into whatsapp_inbox (message_id, wa_id, type, message, profile_name, sent_at)
           select m.message_id, m.wa_id, m.type, m.message, m.profile_name, m.sent_at
             from jsonb_to_recordset(?::jsonb) as m(message_id text, wa_id text, type text, message jsonb,
                                                  profile_name text, sent_at timestamptz)
           on conflict (message_id) do nothing
           returning id`,
          [
            JSON.stringify(
              messages.map((m) => ({
                message_id: m.messageId,
                wa_id: m.waId,
                type: m.type,
                message: m.message,
                profile_name: m.profileName,
                sent_at: m.sentAt,
              })),
            ),
          ],
          'all',
          em.getTransactionContext(),
        );
        added = rows.length;
      }
      if (statuses.length > 0) {
        await conn.execute(
          `insert into whatsapp_statuses (wamid, status, at, error)
           select s.wamid, s.status, s.at, s.error
             from jsonb_to_recordset(?::jsonb) as s(wamid text, status text, at timestamptz, error text)
           on conflict (wamid, status) do nothing`,
          [JSON.stringify(statuses)],
          'all',
          em.getTransactionContext(),
        );
      }
    });
    return added;
  }

  /**
   * Claims up to `limit` stored messages to process (FOR UPDATE SKIP LOCKED: two nodes never claim the
   * same row; a row whose claim ran out, its node gone, is due again). Only a user's oldest waiting
   * message is claimable, so each user's messages are processed one at a time and in order.
   */
  async claim(limit: number, lockSeconds: number): Promise<InboundRow[]> {
    const rows = await this.execute<Record<string, unknown>[]>(
      `update whatsapp_inbox i
          -- To the millisecond: the claim is its token, compared with what a JavaScript Date holds.
          set attempts = i.attempts + 1,
              locked_until = date_trunc('milliseconds', now() + make_interval(secs => ?))
        where i.id in (
          select w.id from whatsapp_inbox w
           where w.processed_at is null and w.next_attempt_at <= now()
             and (w.locked_until is null or w.locked_until < now())
             and not exists (select 1 from whatsapp_inbox o
                              where o.wa_id = w.wa_id and o.processed_at is null and o.id < w.id)
           order by w.id
           limit ?
           for update skip locked)
      returning i.*`,
      [lockSeconds, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      messageId: r.message_id as string,
      waId: r.wa_id as string,
      type: r.type as string,
      message: r.message as Record<string, unknown>,
      profileName: (r.profile_name as string | null) ?? null,
      sentAt: new Date(r.sent_at as string),
      attempts: r.attempts as number,
      lockedUntil: new Date(r.locked_until as string),
    }));
  }

  /** Records what processing a claimed message ended in (only while the claim is still this node's). */
  async processed(row: InboundRow, sessionId: string | null, outcome: string): Promise<void> {
    await this.execute(
      `update whatsapp_inbox set processed_at = now(), session_id = ?, outcome = ?, locked_until = null
        where id = ? and locked_until = ?`,
      [sessionId, outcome.slice(0, 64), row.id, row.lockedUntil],
    );
  }

  /** Processing failed and is tried again at `retryAt`. */
  async retryLater(row: InboundRow, error: string, retryAt: Date): Promise<void> {
    await this.execute(
      `update whatsapp_inbox set locked_until = null, next_attempt_at = ?, last_error = ?
        where id = ? and locked_until = ?`,
      [retryAt, error.slice(0, 2000), row.id, row.lockedUntil],
    );
  }

  /** The session a WhatsApp user talks to, if any. */
  async sessionOf(waId: string): Promise<string | null> {
    const [row] = await this.execute<{ session_id: string }[]>(
      'select session_id from whatsapp_contacts where wa_id = ?',
      [waId],
    );
    return row?.session_id ?? null;
  }

  /** The WhatsApp user of a session, if it is one. */
  async waIdOf(sessionId: string): Promise<string | null> {
    const [row] = await this.execute<{ wa_id: string }[]>(
      'select wa_id from whatsapp_contacts where session_id = ? order by linked_at desc limit 1',
      [sessionId],
    );
    return row?.wa_id ?? null;
  }

  /** When the WhatsApp user of a session last wrote (Meta's timestamp), if ever. */
  async lastInboundAt(sessionId: string): Promise<Date | null> {
    const [row] = await this.execute<{ at: Date | null }[]>(
      `select max(i.sent_at) as at from whatsapp_inbox i
         join whatsapp_contacts c on c.wa_id = i.wa_id where c.session_id = ?`,
      [sessionId],
    );
    return row?.at ? new Date(row.at) : null;
  }

  /**
   * A session the door started for this user but never linked (its node died in between), still in a
   * conversation: the one to link rather than start a second.
   */
  async unlinkedSession(waId: string): Promise<string | null> {
    const [row] = await this.execute<{ id: string }[]>(
      `select l.id from leads l
        where l.channel = 'whatsapp' and l.phone = ? and l.state not in ('completed', 'declined', 'erased')
          and not exists (select 1 from whatsapp_contacts c where c.session_id = l.id)
        order by l.created_at desc limit 1`,
      [`+${waId}`],
    );
    return row?.id ?? null;
  }

  /** The user talks to `sessionId` from now on. */
  async link(waId: string, sessionId: string): Promise<void> {
    await this.execute(
      `insert into whatsapp_contacts (wa_id, session_id) values (?, ?)
       on conflict (wa_id) do update set session_id = excluded.session_id, linked_at = now()`,
      [waId, sessionId],
    );
  }

  /** Whether the message `ref` of a lead has gone out already. */
  async wasSent(leadId: string, ref: string): Promise<boolean> {
    const rows = await this.execute<unknown[]>(
      'select 1 from whatsapp_messages where lead_id = ? and ref = ?',
      [leadId, ref],
    );
    return rows.length > 0;
  }

  /** Records a message the Graph API accepted, under the id it gave. */
  async sent(m: { leadId: string; ref: string; waId: string; kind: string; wamid: string }): Promise<void> {
    await this.execute(
      `insert into whatsapp_messages (lead_id, ref, wa_id, kind, wamid, sent_at) values (?, ?, ?, ?, ?, now())
       on conflict do nothing`,
      [m.leadId, m.ref, m.waId, m.kind, m.wamid],
    );
  }

  /**
   * The session event of the last bot prompt that went out, with when it was committed and when it
   * was sent (a reply's latency runs from the sending).
   */
  async lastPromptSent(leadId: string): Promise<{ promptAt: Date; sentAt: Date } | null> {
    const [row] = await this.execute<{ prompt_at: Date; sent_at: Date }[]>(
      `select e.at as prompt_at, m.sent_at
         from whatsapp_messages m
         join session_events e on e.lead_id = m.lead_id and e.seq::text = m.ref
        where m.lead_id = ? and e.type = 'bot.prompt'
        order by e.seq desc limit 1`,
      [leadId],
    );
    return row ? { promptAt: new Date(row.prompt_at), sentAt: new Date(row.sent_at) } : null;
  }

  /** The stored events `from`..`to` of a session that say something to the visitor, in order. */
  async outgoingEvents(leadId: string, from: number, to: number) {
    return this.execute<{ seq: number; type: string; data: Record<string, unknown> }[]>(
      `select seq, type, data from session_events
        where lead_id = ? and seq between ? and ? and type in ('bot.prompt', 'agent.message')
        order by seq`,
      [leadId, from, to],
    );
  }

  /** The session's WhatsApp messages both ways, oldest first, sent ones with their delivery statuses. */
  async thread(sessionId: string): Promise<ThreadMessage[]> {
    const inbound = await this.execute<Record<string, unknown>[]>(
      `select message_id, type, sent_at, processed_at, outcome, message #>> '{text,body}' as text from whatsapp_inbox
        where session_id = ? order by id`,
      [sessionId],
    );
    const outbound = await this.execute<Record<string, unknown>[]>(
      `select m.wamid, m.kind, m.ref, m.sent_at,
              coalesce(jsonb_agg(jsonb_build_object('status', s.status, 'at', s.at, 'error', s.error)
                                 order by s.at) filter (where s.wamid is not null), '[]') as statuses
         from whatsapp_messages m left join whatsapp_statuses s on s.wamid = m.wamid
        where m.lead_id = ? group by m.id order by m.id`,
      [sessionId],
    );
    const iso = (v: unknown) => new Date(v as string).toISOString();
    return [
      ...inbound.map(
        (r): ThreadMessage => ({
          direction: 'in',
          id: r.message_id as string,
          kind: r.type as string,
          at: iso(r.sent_at),
          outcome: (r.outcome as string | null) ?? 'waiting',
          ...(r.text ? { text: r.text as string } : {}),
        }),
      ),
      ...outbound.map((r): ThreadMessage => {
        const statuses = (r.statuses as { status: string; at: string; error: string | null }[]).map((s) => ({
          ...s,
          at: iso(s.at),
        }));
        return {
          direction: 'out',
          id: r.wamid as string,
          kind: r.kind as string,
          at: iso(r.sent_at),
          ref: r.ref as string,
          status: latestStatus(statuses.map((s) => s.status)),
          statuses,
        };
      }),
    ].sort((a, b) => a.at.localeCompare(b.at));
  }
}

/** The furthest status a message reached: `failed` wins; otherwise read > delivered > sent > accepted. */
function latestStatus(statuses: string[]): string {
  if (statuses.includes('failed')) return 'failed';
  return statuses.reduce((best, s) => (ORDER.indexOf(s) > ORDER.indexOf(best) ? s : best), 'accepted');
}
