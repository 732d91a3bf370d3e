import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { type INotification, Notification } from '../persistence/entities/notification.js';
import type { NotificationStatus } from './status.js';

export type OutboxRow = Omit<INotification, 'lead'> & { leadId: string };

interface RawRow {
  id: string | number;
  lead_id: string;
  trigger: string;
  channel: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  note: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const toRow = (r: RawRow): OutboxRow => ({
  id: Number(r.id),
  leadId: r.lead_id,
  trigger: r.trigger,
  channel: r.channel,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lockedUntil: r.locked_until,
  lastError: r.last_error,
  note: r.note,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

/** The notification outbox: claiming due rows across nodes, recording outcomes, listing, re-driving. */
export class Outbox {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /**
   * Claims up to `limit` due rows for this node (FOR UPDATE SKIP LOCKED: two nodes never claim the
   * same row). A row left `sending` past its lock (its node died) is due again.
   */
  async claim(limit: number, lockSeconds: number): Promise<OutboxRow[]> {
    const rows = await this.em()
      .getConnection()
      .execute<RawRow[]>(
        `update notifications n
            set status = 'sending', attempts = n.attempts + 1, locked_until = now() + make_interval(secs => ?)
          where n.id in (
            select id from notifications
             where (status in ('pending', 'failed') and next_attempt_at <= now())
                or (status = 'sending' and locked_until < now())
             order by next_attempt_at
             limit ?
             for update skip locked)
        returning n.*`,
        [lockSeconds, limit],
      );
    return rows.map(toRow);
  }

  /**
   * Records a delivery. Only the claim that is still current may record (its lock time is the token):
   * a node that took too long cannot overwrite what the node that took over recorded.
   */
  async sent(claim: Pick<OutboxRow, 'id' | 'lockedUntil'>): Promise<void> {
    await this.em().nativeUpdate(
      Notification,
      { id: claim.id, status: 'sending', lockedUntil: claim.lockedUntil ?? null },
      { status: 'sent', sentAt: new Date(), lockedUntil: null, lastError: null },
    );
  }

  /** A failed attempt: retried at `retryAt`, or dead-lettered when `retryAt` is null. */
  async failed(
    claim: Pick<OutboxRow, 'id' | 'lockedUntil'>,
    error: string,
    retryAt: Date | null,
  ): Promise<void> {
    await this.em().nativeUpdate(
      Notification,
      { id: claim.id, status: 'sending', lockedUntil: claim.lockedUntil ?? null },
      retryAt
        ? { status: 'failed', nextAttemptAt: retryAt, lockedUntil: null, lastError: error }
        : { status: 'dead', lockedUntil: null, lastError: error },
    );
  }

  async list(status: NotificationStatus | undefined, limit = 200): Promise<OutboxRow[]> {
    const rows = await this.em().find(Notification, status ? { status } : {}, {
      orderBy: { id: 'desc' },
      limit,
      disableIdentityMap: true,
    });
    return rows.map(
      ({ lead, ...r }) => ({ ...r, leadId: (lead as unknown as { id: string }).id }) as OutboxRow,
    );
  }

  /** Puts a failed or dead row back in the queue now. Returns false when there is no such row or it was sent. */
  async retry(id: number): Promise<boolean> {
    const n = await this.em().nativeUpdate(
      Notification,
      { id, status: { $in: ['failed', 'dead', 'pending'] } },
      { status: 'pending', nextAttemptAt: new Date(), lockedUntil: null },
    );
    return n === 1;
  }

  /** A notification someone asked for by hand; a new trigger name each time, so it is never deduplicated away. */
  async enqueue(
    leadId: string,
    trigger: string,
    channels: readonly string[],
    note: string | null,
  ): Promise<number[]> {
    const now = new Date();
    const em = this.em();
    const ids: number[] = [];
    for (const channel of channels) {
      const res = await em.insert(Notification, {
        lead: leadId,
        trigger,
        channel,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        note,
      });
      ids.push(Number(res));
    }
    return ids;
  }

  async counts(): Promise<Record<NotificationStatus, number>> {
    const rows = await this.em()
      .getConnection()
      .execute<{ status: NotificationStatus; n: number }[]>(
        'select status, count(*)::int as n from notifications group by status',
      );
    const out = { pending: 0, sending: 0, sent: 0, failed: 0, dead: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
