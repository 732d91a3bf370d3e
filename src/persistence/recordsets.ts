import type { EntityMetadata, EntityProperty, MikroORM } from '@mikro-orm/postgresql';

/**
 * Statements built from the entity metadata whose rows travel as JSON array parameters, each expanded
 * by `jsonb_to_recordset`: however many rows, the text stays the same, so it is prepared once per
 * connection. The entities stay the one description of the tables' columns.
 */
export class Recordsets {
  /** Per parameter ($1, $2, …): property name → column name, in the order the rows carry them. */
  private readonly parts: [prop: string, field: string][][] = [];

  /** `jsonb_to_recordset($n::jsonb) as v(…)`: the next parameter, as rows of these columns. */
  source(props: readonly ColumnProp[]): string {
    this.parts.push(props.map((p) => [p.name, field(p)]));
    return `jsonb_to_recordset($${this.parts.length}::jsonb) as v(${props
      .map((p) => `${q(field(p))} ${p.columnTypes![0]}`)
      .join(', ')})`;
  }

  /** Inserts the rows of the next parameter into the entity's table (`where` filters them on `v`). */
  insert(m: EntityMetadata, props: readonly ColumnProp[], tail = '', where = ''): string {
    const columns = props.map((p) => q(field(p))).join(', ');
    return `insert into ${q(m.tableName)} (${columns}) select ${columns} from ${this.source(props)} ${where} ${tail}`;
  }

  /** The statement's parameters: per parameter, its rows (objects keyed by property) as one JSON array. */
  values(rows: readonly (readonly Record<string, unknown>[])[]): string[] {
    return this.parts.map((columns, i) => JSON.stringify(rows[i]!.map((row) => record(columns, row))));
  }
}

function record(
  columns: [prop: string, field: string][],
  row: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [prop, column] of columns) {
    const value = row[prop] ?? null;
    // Dates by hand: JSON.stringify calling Date#toJSON on each costs more than the rest of the row.
    out[column] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

/** The part of a `pg` client used here. */
interface PgClient {
  query(q: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  /** Set by knex's pool on a broken connection; a disposed connection is destroyed on release. */
  __knex__disposed?: unknown;
}

interface Pool {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(c: PgClient): Promise<void> | void;
}

/**
 * Runs a statement prepared under `name` on a connection of the ORM's pool. Its `$n` parameters go to
 * PostgreSQL as they are (no `?` rewriting), and a connection that broke is not handed back.
 */
export async function runPrepared<Row>(
  orm: MikroORM,
  name: string,
  text: string,
  values: string[],
): Promise<Row[]> {
  const pool = orm.em.getConnection().getKnex().client as Pool;
  const client = await pool.acquireConnection();
  try {
    return (await client.query({ name, text, values })).rows as Row[];
  } catch (err) {
    // A failure of the connection itself (no SQLSTATE): do not hand it back to the pool.
    if (!(err as { code?: string }).code) client.__knex__disposed ??= err;
    throw err;
  } finally {
    await pool.releaseConnection(client);
  }
}

export type ColumnProp = Pick<EntityProperty, 'name' | 'fieldNames'> &
  Partial<Pick<EntityProperty, 'columnTypes'>>;

/** The properties stored as columns of the entity's own table. */
export function scalarProps(meta: EntityMetadata): EntityProperty[] {
  return meta.props.filter((p) => p.persist !== false && (p.kind === 'scalar' || p.kind === 'm:1'));
}

export const field = (p: ColumnProp) => p.fieldNames[0]!;

/** A quoted identifier. */
export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
