import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@hubspot/api-client';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
import { DeliveryError } from '../notifications/delivery.js';
import { crmError, type FailureOptions, httpFailure, parseJson } from './http.js';

/**
 * The HubSpot CRM v3 calls this project makes (and the v4 association read), through the official
 * `@hubspot/api-client` with a private-app token. The library's own retries and limiter are off: the
 * outbox retries, and this client reads HubSpot's rate-limit headers. Every call gets its own HTTP
 * agent (redirects are not followed; a call past the timeout has its socket closed), and any answer
 * but a 2xx becomes the same DeliveryError the other channels throw.
 */

export interface HubSpotOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  now?: () => number;
}

/** HubSpot's association type ids (HUBSPOT_DEFINED) from notes and deals to contacts. */
const ASSOCIATION = { noteToContact: 202, dealToContact: 3 } as const;

type Props = Record<string, string | number>;
const asStrings = (p: Props) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));

/** An answer that is not a 2xx, as the per-call middleware saw it (before the library parses it). */
class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly text: string,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The part of the library's request and response contexts the per-call middleware uses. */
interface RequestCtx {
  setAgent(agent: http.Agent): void;
}
interface ResponseCtx {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string> };
}

export class HubSpotClient {
  /** Until when HubSpot's rate-limit headers said the budget is spent (ms since the epoch). */
  private blockedUntil = 0;
  private readonly now: () => number;
  private readonly hubspot: Client;
  private readonly failure: FailureOptions;

  constructor(private readonly options: HubSpotOptions) {
    this.now = options.now ?? Date.now;
    this.hubspot = new Client({
      accessToken: options.token,
      basePath: options.baseUrl,
      numberOfApiCallRetries: 0,
    });
    this.failure = {
      service: 'HubSpot',
      secrets: [options.token],
      messageOf: (b) => (b as { message?: string } | undefined)?.message,
      // A 429 without Retry-After waits out the window the headers name.
      waitOf: (h) => Number(h.get('x-hubspot-ratelimit-interval-milliseconds')) || undefined,
    };
  }

  /** Reads the rate-limit headers: a spent window (or second) blocks calls until it has passed. */
  private onHeaders(h: Headers) {
    const left = (name: string) => {
      const v = h.get(name);
      return v === null ? undefined : Number(v);
    };
    const interval = left('x-hubspot-ratelimit-interval-milliseconds') ?? 10_000;
    if (left('x-hubspot-ratelimit-remaining') === 0)
      this.blockedUntil = Math.max(this.blockedUntil, this.now() + interval);
    if (left('x-hubspot-ratelimit-secondly-remaining') === 0)
      this.blockedUntil = Math.max(this.blockedUntil, this.now() + 1000);
  }

  /**
   * One library call under our rules: waits out a spent rate-limit window (or hands the row back to
   * the outbox), times out, and maps every failure to a DeliveryError; `undefined` for a 404 when
   * `gone` (the record was deleted or merged away in HubSpot).
   */
  private async call<T>(
    send: (options: {
      middleware: {
        pre<C extends RequestCtx>(c: C): Promise<C>;
        post<C extends ResponseCtx>(c: C): Promise<C>;
      }[];
      middlewareMergeStrategy: 'append';
    }) => Promise<T>,
    gone = false,
  ): Promise<T | undefined> {
    const { timeoutMs, baseUrl } = this.options;
    const wait = this.blockedUntil - this.now();
    // A short wait is waited out here (a retry would spend the next window redoing the calls already
    // made); a longer one gives the row back to the outbox until the window has passed.
    if (wait > timeoutMs)
      throw new DeliveryError(`HubSpot: rate limit spent, next call in ${wait} ms`, true, wait);
    if (wait > 0) await sleep(wait);

    const agent = baseUrl.startsWith('https:') ? new https.Agent() : new http.Agent();
    const middleware = {
      pre: async <C extends RequestCtx>(c: C) => {
        c.setAgent(agent);
        return c;
      },
      post: async <C extends ResponseCtx>(c: C) => {
        const headers = new Headers(c.headers);
        this.onHeaders(headers);
        if (c.httpStatusCode < 200 || c.httpStatusCode > 299)
          throw new HttpAnswer(c.httpStatusCode, headers, await c.body.text());
        return c;
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(crmError(`HubSpot: timed out after ${timeoutMs} ms`, true, [])),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([
        send({ middleware: [middleware], middlewareMergeStrategy: 'append' }),
        timedOut,
      ]);
    } catch (err) {
      if (gone && err instanceof HttpAnswer && err.status === 404) return undefined;
      throw this.toDeliveryError(err);
    } finally {
      clearTimeout(timer);
      agent.destroy();
    }
  }

  /** What the channel code classifies: HubSpot's status, headers and message, the token masked. */
  private toDeliveryError(err: unknown): DeliveryError {
    if (err instanceof DeliveryError) return err;
    if (err instanceof HttpAnswer)
      return httpFailure(
        { status: err.status, headers: err.headers, text: err.text, body: parseJson(err.text) },
        this.failure,
      );
    const e = err as { code?: unknown; headers?: Record<string, string>; body?: unknown; message?: string };
    // The library's own ApiException for an answer it has no model for: non-2xx ones are stopped
    // by the middleware first, so this is a safety net with the same classification.
    if (typeof e.code === 'number' && e.code >= 300 && e.headers) {
      const body = e.body;
      return httpFailure(
        { status: e.code, headers: new Headers(e.headers), text: JSON.stringify(body ?? ''), body },
        this.failure,
      );
    }
    // A socket error (refused, reset), or a 2xx answer the library could not read or did not expect.
    return crmError(`HubSpot: call failed: ${e.message ?? String(err)}`, true, [this.options.token]);
  }

  /** Creates or updates the contact with this e-mail (batch upsert, `idProperty: email`); its id. */
  async upsertContact(email: string, properties: Props): Promise<string> {
    const res = await this.call((o) =>
      this.hubspot.crm.contacts.batchApi.upsert(
        { inputs: [{ idProperty: 'email', id: email, properties: asStrings(properties) }] },
        o,
      ),
    );
    const id = res?.results?.[0]?.id;
    if (!id) {
      const errors = (res as { errors?: { message?: string }[] } | undefined)?.errors;
      throw new DeliveryError(`HubSpot: contact not upserted: ${errors?.[0]?.message ?? 'no result'}`, false);
    }
    return id;
  }

  private api(type: 'contacts' | 'notes' | 'deals') {
    const crm = this.hubspot.crm;
    return type === 'contacts' ? crm.contacts : type === 'deals' ? crm.deals : crm.objects.notes;
  }

  /** Updates a record by id; false when it no longer exists (deleted or merged away in HubSpot). */
  async update(type: 'contacts' | 'notes' | 'deals', id: string, properties: Props): Promise<boolean> {
    const api = this.api(type).basicApi;
    const res = await this.call(
      (o) => api.update(id, { properties: asStrings(properties) }, undefined, o),
      true,
    );
    return res !== undefined;
  }

  /** Creates a note or a deal associated with the contact; its id. */
  async create(type: 'notes' | 'deals', properties: Props, contactId: string): Promise<string> {
    const typeId = type === 'notes' ? ASSOCIATION.noteToContact : ASSOCIATION.dealToContact;
    const api = this.api(type).basicApi;
    const res = await this.call((o) =>
      api.create(
        {
          properties: asStrings(properties),
          associations: [
            {
              to: { id: contactId },
              types: [
                {
                  associationCategory: 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum,
                  associationTypeId: typeId,
                },
              ],
            },
          ],
        },
        o,
      ),
    );
    if (!res?.id) throw new DeliveryError(`HubSpot: the ${type} record came back without an id`, true);
    return res.id;
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
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.call((o) =>
        this.hubspot.crm.associations.v4.basicApi.getPage('contacts', contactId, type, after, 500, o),
      );
      ids.push(...(page?.results ?? []).map((r) => String(r.toObjectId)));
      after = page?.paging?.next?.after;
    } while (after);
    const batch = this.api(type).batchApi;
    // A batch read takes at most 100 ids.
    for (let i = 0; i < ids.length; i += 100) {
      const inputs = ids.slice(i, i + 100).map((id) => ({ id }));
      const read = await this.call((o) =>
        batch.read({ properties: [property], propertiesWithHistory: [], inputs }, undefined, o),
      );
      const found = read?.results.find((r) => r.properties[property]?.includes(marker));
      if (found) return found.id;
    }
    return undefined;
  }
}
