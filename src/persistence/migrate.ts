import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';

/** Arbitrary, fixed: the advisory lock every node takes around migrations. */
const MIGRATION_LOCK = 7_413_260_911;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so nodes that start together
 * migrate one at a time (the second finds nothing left to do). Returns the names applied.
 */
export async function migrate(orm: MikroORM, url: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await lock.end().catch(() => {});
  }
}
