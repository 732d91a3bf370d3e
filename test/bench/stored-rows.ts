import pg from 'pg';

/** Rows of every table of a server's database (its migrations' own table left out), by table. */
export async function storedRows(dbUrl: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows: tables } = await c.query<{ name: string }>(
      `select relname as name from pg_stat_user_tables
        where schemaname = current_schema() and relname <> 'mikro_orm_migrations' order by 1`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const { rows } = await c.query<{ n: number }>(`select count(*)::int as n from "${name}"`);
      counts[name] = rows[0]!.n;
    }
    return counts;
  } finally {
    await c.end();
  }
}

/**
 * The rows a run stored per acknowledged event: in all, and per table that grew (every table counted
 * before and after; a lead's own row, inserted once per session and updated by every event, counts once).
 */
export function rowsPerEvent(before: Record<string, number>, after: Record<string, number>, events: number) {
  const byTable = Object.fromEntries(
    Object.entries(after)
      .map(([table, n]) => [table, (n - (before[table] ?? 0)) / events] as const)
      .filter(([, perEvent]) => perEvent > 0),
  );
  return { total: Object.values(byTable).reduce((a, b) => a + b, 0), byTable };
}

/** "2.41 (session_events 1.00, score_entries 0.89, …)". */
export const rowsLine = (r: ReturnType<typeof rowsPerEvent>) =>
  `${r.total.toFixed(2)} (${Object.entries(r.byTable)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${n.toFixed(2)}`)
    .join(', ')})`;
