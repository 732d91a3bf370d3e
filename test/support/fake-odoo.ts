import { type Answer, FakeService } from './fake-service.js';

/**
 * The part of Odoo's external API the Odoo channel uses, over JSON-RPC as Odoo answers it: `POST
 * /jsonrpc` with `common.authenticate` and `object.execute_kw` (database, uid, API key, model, method,
 * args, kwargs); `create`, `write`, `search` (with `active_test`) on crm.lead and `search_read`,
 * `create` on crm.tag; errors as HTTP 200 with Odoo's `error` member (AccessDenied, ValueError for an
 * unknown field, MissingError for a deleted record).
 */

type Vals = Record<string, unknown>;
interface OdooRecord extends Vals {
  id: number;
  active: boolean;
  tag_ids: number[];
}

const LEAD_FIELDS = new Set([
  'name',
  'type',
  'contact_name',
  'email_from',
  'phone',
  'partner_name',
  'city',
  'description',
  'expected_revenue',
  'tag_ids',
  'active',
  'x_lead_ref',
]);

export class FakeOdoo extends FakeService {
  readonly leads = new Map<number, OdooRecord>();
  readonly tags = new Map<number, { id: number; name: string }>();
  private nextId = 1;

  constructor(
    readonly db: string,
    readonly login: string,
    public apiKey: string,
    readonly uid = 7,
  ) {
    super();
  }

  protected opOf(_method: string, _path: string, body: unknown): string {
    const params = (body as { params?: { service?: string; method?: string; args?: unknown[] } })?.params;
    if (params?.service === 'common') return `common.${params.method}`;
    const args = params?.args ?? [];
    return `${args[3]}.${args[4]}`;
  }

  /** The crm.lead records (archived ones too) whose field has the value. */
  find(field: string, value: unknown): OdooRecord[] {
    return [...this.leads.values()].filter((r) => r[field] === value);
  }

  protected handle(op: string, req: { path: string; body: unknown }): Answer {
    const rpc = req.body as { id?: number; params: { service: string; method: string; args: unknown[] } };
    const result = (value: unknown): Answer => ({
      status: 200,
      body: { jsonrpc: '2.0', id: rpc.id, result: value },
    });
    const fault = (name: string, message: string): Answer => ({
      status: 200,
      body: {
        jsonrpc: '2.0',
        id: rpc.id,
        error: {
          code: 200,
          message: 'Odoo Server Error',
          data: { name, message, arguments: [message], debug: 'Traceback…' },
        },
      },
    });
    if (req.path !== '/jsonrpc') return { status: 404, body: { error: 'not found' } };
    const args = rpc.params.args;
    if (op === 'common.authenticate') {
      const [db, login, key] = args;
      return result(db === this.db && login === this.login && key === this.apiKey ? this.uid : false);
    }
    const [db, uid, key, , , positional = [], kwargs = {}] = args as [
      string,
      number,
      string,
      string,
      string,
      unknown[],
      Vals,
    ];
    if (db !== this.db || uid !== this.uid || key !== this.apiKey)
      return fault('odoo.exceptions.AccessDenied', 'Access Denied');
    const unknown = (vals: Vals) => Object.keys(vals).find((k) => !LEAD_FIELDS.has(k));
    switch (op) {
      case 'crm.lead.create': {
        const list = (Array.isArray(positional[0]) ? positional[0] : [positional[0]]) as Vals[];
        const ids: number[] = [];
        for (const vals of list) {
          const bad = unknown(vals);
          if (bad) return fault('builtins.ValueError', `Invalid field '${bad}' on model 'crm.lead'`);
          const id = this.nextId++;
          this.leads.set(id, this.apply({ id, active: true, tag_ids: [] }, vals));
          ids.push(id);
        }
        return result(Array.isArray(positional[0]) ? ids : ids[0]);
      }
      case 'crm.lead.write': {
        const [ids, vals] = positional as [number[], Vals];
        const bad = unknown(vals);
        if (bad) return fault('builtins.ValueError', `Invalid field '${bad}' on model 'crm.lead'`);
        const missing = ids.find((id) => !this.leads.has(id));
        if (missing !== undefined)
          return fault(
            'odoo.exceptions.MissingError',
            `Record does not exist or has been deleted.\n(Record: crm.lead(${missing},), User: ${uid})`,
          );
        for (const id of ids) this.apply(this.leads.get(id)!, vals);
        return result(true);
      }
      case 'crm.lead.search': {
        const domain = positional[0] as [string, string, unknown][];
        const activeTest = (kwargs.context as Vals | undefined)?.active_test !== false;
        const ids = [...this.leads.values()]
          .filter((r) => (!activeTest || r.active) && domain.every((d) => this.matches(r, d)))
          .map((r) => r.id)
          .slice(0, (kwargs.limit as number | undefined) ?? undefined);
        return result(ids);
      }
      case 'crm.tag.search_read': {
        const [[[, , names]]] = positional as [[[string, string, string[]]]];
        return result([...this.tags.values()].filter((t) => names.includes(t.name)));
      }
      case 'crm.tag.create': {
        const vals = (Array.isArray(positional[0]) ? positional[0][0] : positional[0]) as { name: string };
        if ([...this.tags.values()].some((t) => t.name === vals.name))
          return fault(
            'psycopg2.errors.UniqueViolation',
            'duplicate key value violates unique constraint "crm_tag_name_uniq"',
          );
        const id = this.nextId++;
        this.tags.set(id, { id, name: vals.name });
        return result(id);
      }
      default:
        return fault('builtins.AttributeError', `The method '${op}' does not exist`);
    }
  }

  private matches(r: OdooRecord, [field, operator, value]: [string, string, unknown]): boolean {
    const have = r[field];
    if (operator === '=') return have === value;
    if (operator === 'ilike')
      return typeof have === 'string' && have.toLowerCase().includes(String(value).toLowerCase());
    throw new Error(`the fake does not know the operator ${operator}`);
  }

  /** Sets the values; tag_ids as Odoo's x2many commands (4 link, 3 unlink, 6 replace). */
  private apply(record: OdooRecord, vals: Vals): OdooRecord {
    for (const [k, v] of Object.entries(vals)) {
      if (k !== 'tag_ids') {
        record[k] = v;
        continue;
      }
      for (const [cmd, id, ids] of v as [number, number, number[]?][]) {
        if (cmd === 4 && !record.tag_ids.includes(id)) record.tag_ids.push(id);
        if (cmd === 3) record.tag_ids = record.tag_ids.filter((t) => t !== id);
        if (cmd === 6) record.tag_ids = [...(ids ?? [])];
      }
    }
    return record;
  }

  /** A lead's tag names. */
  tagNames(record: OdooRecord): string[] {
    return record.tag_ids.map((id) => this.tags.get(id)?.name ?? `?${id}`);
  }
}
