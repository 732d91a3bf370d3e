import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryError } from '../notifications/delivery.js';
import { type CrmRequest, callJson } from './http.js';

/**
 * The HubSpot CRM v3 calls this project makes (and the v4 association read), over fetch with a
 * private-app token. The official client covers every HubSpot API as generated code; these few calls
 * do not need it.
 */

export interface HubSpotOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  now?: () => number;
}

/** A CRM object as HubSpot answers it. */
interface HsObject {
  id: string;
  properties: Record<string, string | null>;
}

/** HubSpot's association type ids (HUBSPOT_DEFINED) from notes and deals to contacts. */
export const ASSOCIATION = { noteToContact: 202, dealToContact: 3 } as const;

type Props = Record<string, string | number>;
const asStrings = (p: Props) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));

export class HubSpotClient {
  /** Until when HubSpot's rate-limit headers said the budget is spent (ms since the epoch). */
  private blockedUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: HubSpotOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Reads the rate-limit headers: a spent window (or second) blocks calls until it has passed. */
  private readonly onHeaders = (h: Headers) => {
    const left = (name: string) => {
      const v = h.get(name);
      return v === null ? undefined : Number(v);
    };
    const interval = left('x-hubspot-ratelimit-interval-milliseconds') ?? 10_000;
    if (left('x-hubspot-ratelimit-remaining') === 0)
      this.blockedUntil = Math.max(this.blockedUntil, this.now() + interval);
    if (left('x-hubspot-ratelimit-secondly-remaining') === 0)
      this.blockedUntil = Math.max(this.blockedUntil, this.now() + 1000);
  };

  private async call<T>(req: Omit<CrmRequest, 'url'> & { path: string }, accept?: number[]) {
    const wait = this.blockedUntil - this.now();
    // A short wait is waited out here (a retry would spend the next window redoing the calls already
    // made); a longer one gives the row back to the outbox until the window has passed.
    if (wait > this.options.timeoutMs)
      throw new DeliveryError(`HubSpot: rate limit spent, next call in ${wait} ms`, true, wait);
    if (wait > 0) await sleep(wait);
    return callJson<T>(
      {
        ...req,
        url: `${this.options.baseUrl}${req.path}`,
        headers: { authorization: `Bearer ${this.options.token}` },
      },
      {
        service: 'HubSpot',
        timeoutMs: this.options.timeoutMs,
        secrets: [this.options.token],
        messageOf: (b) => (b as { message?: string } | undefined)?.message,
        // A 429 without Retry-After waits out the window the headers name.
        waitOf: (h) => Number(h.get('x-hubspot-ratelimit-interval-milliseconds')) || undefined,
        onHeaders: this.onHeaders,
        ...(accept ? { accept } : {}),
      },
    );
  }

  /** Creates or updates the contact with this e-mail (batch upsert, `idProperty: email`); its id. */
  async upsertContact(email: string, properties: Props): Promise<string> {
    const res = await this.call<{ results?: HsObject[]; errors?: { message?: string }[] }>({
      method: 'POST',
      path: '/crm/v3/objects/contacts/batch/upsert',
      body: { inputs: [{ idProperty: 'email', id: email, properties: asStrings(properties) }] },
    });
    const id = res.body?.results?.[0]?.id;
    if (!id)
      throw new DeliveryError(
        `HubSpot: contact not upserted: ${res.body?.errors?.[0]?.message ?? 'no result'}`,
        false,
      );
    return id;
  }

  /** Updates a record by id; false when it no longer exists (deleted or merged away in HubSpot). */
  async update(type: 'contacts' | 'notes' | 'deals', id: string, properties: Props): Promise<boolean> {
    const res = await this.call<HsObject>(
      {
        method: 'PATCH',
        path: `/crm/v3/objects/${type}/${encodeURIComponent(id)}`,
        body: { properties: asStrings(properties) },
      },
      [404],
    );
    return res.status !== 404;
  }

  /** Creates a note or a deal associated with the contact; its id. */
  async create(type: 'notes' | 'deals', properties: Props, contactId: string): Promise<string> {
    const typeId = type === 'notes' ? ASSOCIATION.noteToContact : ASSOCIATION.dealToContact;
    const res = await this.call<HsObject>({
      method: 'POST',
      path: `/crm/v3/objects/${type}`,
      body: {
        properties: asStrings(properties),
        associations: [
          {
            to: { id: contactId },
            types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }],
          },
        ],
      },
    });
    if (!res.body?.id) throw new DeliveryError(`HubSpot: the ${type} record came back without an id`, true);
    return res.body.id;
  }

  /**
   * The note or deal associated with the contact whose `property` contains `marker`: how a record a
   * dead node created (but could not store the id of) is found again. Reads the associations (v4)
   * and the records (batch read), which HubSpot answers at once, unlike its search index.
   */
  async findAssociated(
    type: 'notes' | 'deals',
    contactId: string,
    property: string,
    marker: string,
  ): Promise<string | undefined> {
    const assoc = await this.call<{ results?: { toObjectId: string | number }[] }>({
      method: 'GET',
      path: `/crm/v4/objects/contacts/${encodeURIComponent(contactId)}/associations/${type}?limit=500`,
    });
    const ids = (assoc.body?.results ?? []).map((r) => String(r.toObjectId));
    if (ids.length === 0) return undefined;
    // A batch read takes at most 100 ids.
    for (let i = 0; i < ids.length; i += 100) {
      const read = await this.call<{ results?: HsObject[] }>({
        method: 'POST',
        path: `/crm/v3/objects/${type}/batch/read`,
        body: { properties: [property], inputs: ids.slice(i, i + 100).map((id) => ({ id })) },
      });
      const found = read.body?.results?.find((r) => r.properties[property]?.includes(marker));
      if (found) return found.id;
    }
    return undefined;
  }
}
