import { DEFAULT_MAPPING } from '../../src/crm/mapping.js';
import { type Answer, FakeService } from './fake-service.js';

/**
 * The part of HubSpot's CRM API the HubSpot channel uses, as HubSpot documents it: a private-app token
 * as bearer, contacts upserted by e-mail (v3 batch upsert), records patched, created with associations,
 * read in batches, the v4 association list; unknown properties refused (400 VALIDATION_ERROR, HubSpot's
 * message), a missing record 404, and a rolling rate limit with HubSpot's headers (429 past it).
 */

interface HsRecord {
  id: string;
  properties: Record<string, string>;
  /** Associated contact ids (notes and deals). */
  contacts: string[];
}

type HsType = 'contacts' | 'notes' | 'deals';

/** The properties each object type has in the fake portal: HubSpot's own and the custom ones of docs/crm.md. */
const KNOWN: Record<HsType, Set<string>> = {
  contacts: new Set([...Object.keys(DEFAULT_MAPPING.hubspot.contact), 'hubspot_owner_id', 'company']),
  notes: new Set(['hs_note_body', 'hs_timestamp']),
  deals: new Set([
    ...Object.keys(DEFAULT_MAPPING.hubspot.deal),
    'pipeline',
    'dealstage',
    'description',
    'hubspot_owner_id',
    'amount',
  ]),
};

export class FakeHubSpot extends FakeService {
  readonly records: Record<HsType, Map<string, HsRecord>> = {
    contacts: new Map(),
    notes: new Map(),
    deals: new Map(),
  };
  private nextId = 1000;
  /** Calls allowed per rolling window (x-hubspot-ratelimit-max), and the window. */
  rateLimit = { max: 1_000, intervalMs: 10_000 };
  private window = { start: 0, used: 0 };
  /** Calls answered 429 because the window's budget was spent. */
  overLimit = 0;

  constructor(readonly token: string) {
    super();
  }

  protected opOf(method: string, path: string): string {
    const p = path.split('?')[0]!;
    if (p === '/crm/v3/objects/contacts/batch/upsert') return 'contacts.upsert';
    let m = /^\/crm\/v3\/objects\/(\w+)\/batch\/read$/.exec(p);
    if (m) return `${m[1]}.read`;
    m = /^\/crm\/v4\/objects\/contacts\/[^/]+\/associations\/(\w+)$/.exec(p);
    if (m) return `${m[1]}.associations`;
    m = /^\/crm\/v3\/objects\/(\w+)(\/[^/]+)?$/.exec(p);
    if (m)
      return `${m[1]}.${method === 'POST' && !m[2] ? 'create' : method === 'PATCH' ? 'update' : 'other'}`;
    return 'other';
  }

  /** The records of a type whose property has the value. */
  find(type: HsType, property: string, value: string): HsRecord[] {
    return [...this.records[type].values()].filter((r) => r.properties[property] === value);
  }

  private rateHeaders(): Record<string, string> {
    return {
      'x-hubspot-ratelimit-max': String(this.rateLimit.max),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, this.rateLimit.max - this.window.used)),
      'x-hubspot-ratelimit-interval-milliseconds': String(this.rateLimit.intervalMs),
    };
  }

  protected handle(
    op: string,
    req: { method: string; path: string; body: unknown; headers: Record<string, unknown> },
  ): Answer {
    const error = (status: number, message: string, category: string): Answer => ({
      status,
      headers: this.rateHeaders(),
      body: { status: 'error', message, correlationId: `fake-${this.nextId++}`, category },
    });
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return error(401, 'Authentication credentials not found.', 'INVALID_AUTHENTICATION');
    const now = Date.now();
    if (now - this.window.start >= this.rateLimit.intervalMs) this.window = { start: now, used: 0 };
    if (this.window.used >= this.rateLimit.max) {
      this.overLimit++;
      return error(429, 'You have reached your ten_secondly_rolling limit.', 'RATE_LIMITS');
    }
    this.window.used++;
    const ok = (status: number, body: unknown): Answer => ({ status, headers: this.rateHeaders(), body });
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = req.path.split('?')[0]!.split('/')[4] as HsType;
    const invalid = (t: HsType, props: Record<string, unknown>) =>
      Object.keys(props).find((k) => !KNOWN[t].has(k));
    const refuse = (name: string) =>
      error(
        400,
        `Property values were not valid: [{"isValid":false,"message":"Property \\"${name}\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"${name}"}]`,
        'VALIDATION_ERROR',
      );
    switch (op) {
      case 'contacts.upsert': {
        const results = [];
        for (const input of body.inputs as {
          idProperty: string;
          id: string;
          properties: Record<string, string>;
        }[]) {
          const bad = invalid('contacts', input.properties);
          if (bad) return refuse(bad);
          const existing = [...this.records.contacts.values()].find(
            (c) => c.properties.email?.toLowerCase() === input.id.toLowerCase(),
          );
          const record = existing ?? {
            id: String(this.nextId++),
            properties: { email: input.id },
            contacts: [],
          };
          Object.assign(record.properties, input.properties);
          this.records.contacts.set(record.id, record);
          results.push({ id: record.id, properties: record.properties, new: !existing });
        }
        return ok(200, { status: 'COMPLETE', results });
      }
      case 'contacts.update':
      case 'notes.update':
      case 'deals.update': {
        const record = this.records[type].get(decodeURIComponent(req.path.split('/')[5]!));
        if (!record) return error(404, 'resource not found', 'OBJECT_NOT_FOUND');
        const props = body.properties as Record<string, string>;
        const bad = invalid(type, props);
        if (bad) return refuse(bad);
        Object.assign(record.properties, props);
        return ok(200, { id: record.id, properties: record.properties });
      }
      case 'notes.create':
      case 'deals.create': {
        const props = body.properties as Record<string, string>;
        const bad = invalid(type, props);
        if (bad) return refuse(bad);
        const contacts =
          (body.associations as { to: { id: string } }[] | undefined)?.map((a) => a.to.id) ?? [];
        if (contacts.some((c) => !this.records.contacts.has(c)))
          return error(400, 'association target not found', 'VALIDATION_ERROR');
        const record: HsRecord = { id: String(this.nextId++), properties: { ...props }, contacts };
        this.records[type].set(record.id, record);
        return ok(201, { id: record.id, properties: record.properties });
      }
      case 'notes.associations':
      case 'deals.associations': {
        const contact = decodeURIComponent(req.path.split('/')[5]!);
        const assocType = op.split('.')[0] as HsType;
        const results = [...this.records[assocType].values()]
          .filter((r) => r.contacts.includes(contact))
          .map((r) => ({ toObjectId: Number(r.id), associationTypes: [{ category: 'HUBSPOT_DEFINED' }] }));
        return ok(200, { results });
      }
      case 'notes.read':
      case 'deals.read': {
        const wanted = body.properties as string[];
        const results = (body.inputs as { id: string }[])
          .map((i) => this.records[type].get(i.id))
          .filter((r): r is HsRecord => r !== undefined)
          .map((r) => ({
            id: r.id,
            properties: Object.fromEntries(wanted.map((p) => [p, r.properties[p] ?? null])),
          }));
        return ok(200, { status: 'COMPLETE', results });
      }
      default:
        return error(404, `no route ${req.method} ${req.path}`, 'OBJECT_NOT_FOUND');
    }
  }
}
