import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { COUNT_CAP, type LeadCursor, type LeadSort, type SortOrder } from '../leads/cursor.js';
import { Lead } from './entities/index.js';
import type { LeadFilter, LeadRow } from './rows.js';

/** The key columns of each order, their SQL types, and the text of each a cursor carries. */
const KEYS: Record<LeadSort, { columns: string[]; types: string[] }> = {
  score: { columns: ['score', 'last_activity_at', 'id'], types: ['int', 'timestamptz', 'text'] },
  time: { columns: ['created_at', 'id'], types: ['timestamptz', 'text'] },
};

/** A Postgres array literal of text (one bound parameter, however many values). */
const textArray = (values: readonly string[]) =>
  `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/** The SQL condition and parameters of a filter (without its order and keyset). */
function whereOf(filter: LeadFilter): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  const eq: [keyof LeadFilter, string][] = [
    ['classification', 'classification'],
    ['state', 'state'],
    ['utmSource', 'utm_source'],
    ['utmMedium', 'utm_medium'],
    ['utmCampaign', 'utm_campaign'],
  ];
  for (const [key, column] of eq) {
    if (filter[key] === undefined) continue;
    sql.push(`${column} = ?`);
    params.push(filter[key]);
  }
  if (filter.from) {
    sql.push('created_at >= ?');
    params.push(filter.from);
  }
  if (filter.to) {
    sql.push('created_at < ?');
    params.push(filter.to);
  }
  const either: string[] = [];
  if (filter.activeSince) {
    either.push('last_activity_at >= ?');
    params.push(filter.activeSince);
  }
  if (filter.ids && filter.ids.length > 0) {
    either.push('id = any(?::text[])');
    params.push(textArray(filter.ids));
  }
  if (either.length > 0) sql.push(`(${either.join(' or ')})`);
  return { sql, params };
}

/** One page of leads and where the next one starts. */
export interface LeadPage {
  rows: LeadRow[];
  /** The last row's key, when more rows follow. */
  next: LeadCursor | null;
  total: number;
  /** Whether `total` is an estimate: more than `COUNT_CAP` match. */
  totalIsEstimate: boolean;
}

/**
 * Lead lists read by keyset over an index of their order (any depth costs the same), or by offset for the
 * old numbered pages; the total is counted up to `COUNT_CAP` and estimated beyond it.
 */
export class LeadPages {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /** The page of `filter` after `after` (or at `filter.offset`); with `count`, the total too. */
  async page(filter: LeadFilter, after?: LeadCursor, count = true): Promise<LeadPage> {
    const sort: LeadSort = filter.sort ?? 'score';
    const order: SortOrder = filter.order ?? 'desc';
    const { columns, types } = KEYS[sort];
    const where = whereOf(filter);
    const keyset = [...where.sql];
    const params = [...where.params];
    if (after) {
      // A row comparison over the whole key: one range of the index, whatever the depth.
      keyset.push(
        `(${columns.join(', ')}) ${order === 'desc' ? '<' : '>'} (${types.map((t) => `?::${t}`).join(', ')})`,
      );
      params.push(...after.key);
    }
    const conn = this.em().getConnection();
    const keys = await conn.execute<Record<string, string>[]>(
      `select ${columns.map((c, i) => `${c}::text as k${i}`).join(', ')} from leads
        ${keyset.length > 0 ? `where ${keyset.join(' and ')}` : ''}
        order by ${columns.map((c) => `${c} ${order}`).join(', ')}
        limit ? offset ?`,
      [...params, filter.limit + 1, after ? 0 : (filter.offset ?? 0)],
    );
    const more = keys.length > filter.limit;
    const shown = keys.slice(0, filter.limit);
    const ids = shown.map((k) => k[`k${columns.length - 1}`]!);
    const found =
      ids.length === 0
        ? []
        : await this.em().find(
            Lead,
            { id: { $in: ids } },
            { exclude: ['snapshot'], disableIdentityMap: true },
          );
    const byId = new Map(found.map((r) => [r.id, { ...r, snapshot: null } as LeadRow]));
    const rows = ids.flatMap((id) => byId.get(id) ?? []);
    const last = shown.at(-1);
    const next = more && last ? { sort, order, key: columns.map((_, i) => last[`k${i}`]!) } : null;
    if (!count) return { rows, next, total: rows.length, totalIsEstimate: false };
    return { rows, next, ...(await this.total(where)) };
  }

  /** How many leads match, counted up to the cap; beyond it the planner's estimate of the table when unfiltered. */
  private async total(where: { sql: string[]; params: unknown[] }) {
    const conn = this.em().getConnection();
    const [counted] = await conn.execute<{ n: number }[]>(
      `select count(*)::int as n from (select 1 from leads
        ${where.sql.length > 0 ? `where ${where.sql.join(' and ')}` : ''} limit ?) t`,
      [...where.params, COUNT_CAP + 1],
    );
    const n = counted?.n ?? 0;
    if (n <= COUNT_CAP) return { total: n, totalIsEstimate: false };
    if (where.sql.length > 0) return { total: COUNT_CAP, totalIsEstimate: true };
    const [estimate] = await conn.execute<{ n: number }[]>(
      "select greatest(reltuples, 0)::bigint::int as n from pg_class where oid = 'leads'::regclass",
    );
    return { total: Math.max(COUNT_CAP, estimate?.n ?? 0), totalIsEstimate: true };
  }
}
