import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { DeliveryError } from '../notifications/delivery.js';

/** The CRMs leads are pushed to. */
export type Crm = 'hubspot' | 'odoo';

/** The CRM ids of one lead's records, by kind (`contact`, `note`, `deal`, `lead`). */
export type CrmIds = Partial<Record<string, string>>;

/**
 * The ids a CRM gave a lead's records (table `crm_links`), and the lease that lets one sync of a lead
 * run at a time. Each id is stored as soon as the CRM answers, so a node that dies later in a sync
 * leaves what it created findable by id.
 */
export class CrmLinks {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  async ids(leadId: string, crm: Crm): Promise<CrmIds> {
    const rows = await this.em()
      .getConnection()
      .execute<{ kind: string; external_id: string }[]>(
        `select kind, external_id from crm_links
          where lead_id = ? and crm = ? and kind <> 'lease' and external_id is not null`,
        [leadId, crm],
      );
    return Object.fromEntries(rows.map((r) => [r.kind, r.external_id]));
  }

  async save(leadId: string, crm: Crm, kind: string, externalId: string): Promise<void> {
    await this.em()
      .getConnection()
      .execute(
        `insert into crm_links (lead_id, crm, kind, external_id, updated_at) values (?, ?, ?, ?, now())
         on conflict (lead_id, crm, kind) do update set external_id = excluded.external_id, updated_at = now()`,
        [leadId, crm, kind, externalId],
      );
  }

  /**
   * Takes the lead's sync lease for `seconds` unless another sync holds it; returns a token for
   * `release`, or null while it is held. An expired lease (its node died) can be taken.
   */
  async lease(leadId: string, crm: Crm, seconds: number): Promise<Date | null> {
    const rows = await this.em()
      .getConnection()
      .execute<{ locked_until: Date }[]>(
        `insert into crm_links (lead_id, crm, kind, locked_until, updated_at)
         values (?, ?, 'lease', now() + make_interval(secs => ?), now())
         on conflict (lead_id, crm, kind) do update
           set locked_until = excluded.locked_until, updated_at = now()
           where crm_links.locked_until is null or crm_links.locked_until < now()
         returning locked_until`,
        [leadId, crm, seconds],
      );
    return rows[0]?.locked_until ?? null;
  }

  /**
   * Runs one sync of a lead under its lease and gives the lease back after. While another sync holds
   * it, fails retryably (in a second). `sync` gets the lease budget check (see leaseBudget).
   */
  async underLease(
    leadId: string,
    crm: Crm,
    options: { service: string; leaseSeconds: number; timeoutMs: number },
    sync: (inTime: () => void) => Promise<void>,
  ): Promise<void> {
    const { service, leaseSeconds, timeoutMs } = options;
    const lease = await this.lease(leadId, crm, leaseSeconds);
    if (!lease) throw new DeliveryError(`${service}: another sync of this lead is running`, true, 1000);
    try {
      await sync(leaseBudget(service, leaseSeconds, timeoutMs));
    } finally {
      await this.release(leadId, crm, lease);
    }
  }

  /** Gives the lease back, if it is still the one `token` stands for. */
  async release(leadId: string, crm: Crm, token: Date): Promise<void> {
    await this.em()
      .getConnection()
      .execute(
        `update crm_links set locked_until = null
          where lead_id = ? and crm = ? and kind = 'lease' and locked_until = ?`,
        [leadId, crm, token],
      );
  }
}

/**
 * A check a sync makes before each of its steps: a step may take a few calls of up to `timeoutMs`, and
 * must end while the lease (and the outbox claim) still holds, or another node could sync the lead at
 * the same time. With less than three timeouts left, the sync stops here and the row is retried (what
 * was done is kept: the ids are stored).
 */
export function leaseBudget(service: string, leaseSeconds: number, timeoutMs: number, now = Date.now) {
  const end = now() + leaseSeconds * 1000;
  return (): void => {
    if (end - now() < 3 * timeoutMs)
      throw new DeliveryError(
        `${service}: the sync ran out of its lease; it goes on at the next attempt`,
        true,
      );
  };
}
