import { DeliveryError } from '../notifications/delivery.js';
import { callJson, redact } from './http.js';

/**
 * Odoo's external API over JSON-RPC (`POST /jsonrpc`, services `common` and `object`), with a user's
 * API key. Odoo answers errors with HTTP 200 and an `error` member: the ones a retry cannot fix (access,
 * validation, a missing field or record) are permanent, the others retried.
 */

export interface OdooOptions {
  url: string;
  db: string;
  apiKey: string;
  /** The user's id; when unset it is looked up with `common.authenticate` and `login`. */
  uid?: number;
  login?: string;
  timeoutMs: number;
}

interface RpcError {
  code?: number;
  message?: string;
  data?: { name?: string; message?: string };
}

/** Exceptions of Odoo that say the request itself is wrong (the lead can never go as it is). */
const PERMANENT =
  /^odoo\.exceptions\.|^builtins\.(ValueError|KeyError|TypeError|AttributeError)$|^werkzeug\.exceptions\./;

export class OdooClient {
  private uid: number | undefined;
  private nextId = 1;

  constructor(private readonly options: OdooOptions) {
    this.uid = options.uid;
  }

  private async rpc<T>(service: 'common' | 'object', method: string, args: unknown[]): Promise<T> {
    const res = await callJson<{ result?: T; error?: RpcError }>(
      {
        method: 'POST',
        url: `${this.options.url}/jsonrpc`,
        body: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: this.nextId++ },
      },
      { service: 'Odoo', timeoutMs: this.options.timeoutMs, secrets: [this.options.apiKey] },
    );
    const error = res.body?.error;
    if (error) {
      const name = error.data?.name ?? '';
      const said = error.data?.message || error.message || 'error';
      const text = redact(`Odoo: ${said}${name ? ` (${name})` : ''}`, [this.options.apiKey]);
      throw new DeliveryError(text.slice(0, 500), !PERMANENT.test(name));
    }
    return res.body?.result as T;
  }

  private async userId(): Promise<number> {
    if (this.uid !== undefined) return this.uid;
    const { db, login, apiKey } = this.options;
    const uid = await this.rpc<number | false>('common', 'authenticate', [db, login, apiKey, {}]);
    if (typeof uid !== 'number')
      throw new DeliveryError(`Odoo: authentication failed for login ${login} on database ${db}`, false);
    this.uid = uid;
    return uid;
  }

  /** `execute_kw` of a model's method with positional and keyword arguments. */
  async execute<T>(
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown> = {},
  ): Promise<T> {
    const { db, apiKey } = this.options;
    const uid = await this.userId();
    return this.rpc<T>('object', 'execute_kw', [db, uid, apiKey, model, method, args, kwargs]);
  }

  async create(model: string, values: Record<string, unknown>): Promise<number> {
    const id = await this.execute<number | number[]>(model, 'create', [values]);
    const one = Array.isArray(id) ? id[0] : id;
    if (typeof one !== 'number') throw new DeliveryError(`Odoo: ${model}.create answered no id`, true);
    return one;
  }

  /** Writes a record; false when it no longer exists (deleted in Odoo). */
  async write(model: string, id: number, values: Record<string, unknown>): Promise<boolean> {
    // A write to a deleted id fails (MissingError), so the record is checked first, archived ones included.
    if ((await this.search(model, [['id', '=', id]])) === undefined) return false;
    await this.execute<boolean>(model, 'write', [[id], values]);
    return true;
  }

  /** The first record matching the domain, archived ones included. */
  async search(model: string, domain: unknown[]): Promise<number | undefined> {
    const ids = await this.execute<number[]>(model, 'search', [domain], {
      limit: 1,
      context: { active_test: false },
    });
    return ids?.[0];
  }
}
