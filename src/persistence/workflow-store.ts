import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { StoredWorkflow, VersionUse, WorkflowVersionStore } from '../workflow/registry.js';

/** States a session no longer needs its workflow to go on from (it ended, or was erased). */
const ENDED = ['completed', 'declined', 'erased'];

/** The `workflows` table: every workflow version a node ran, by checksum, and which sessions use which. */
export class WorkflowStore implements WorkflowVersionStore {
  constructor(private readonly orm: MikroORM) {}

  private conn() {
    return (this.orm.em.fork() as EntityManager).getConnection();
  }

  async save(row: Omit<StoredWorkflow, 'createdAt'>, at: Date): Promise<StoredWorkflow> {
    // Content-addressed: a version is the same whoever stores it first, so a second insert is a no-op
    // (nodes starting at once race here harmlessly).
    await this.conn().execute(
      `insert into workflows (version, name, definition, created_at) values (?, ?, ?, ?)
         on conflict (version) do nothing`,
      [row.version, row.name, JSON.stringify(row.definition), at],
    );
    const stored = await this.find(row.version);
    if (!stored) throw new Error(`workflow ${row.version} was not stored`);
    return stored;
  }

  async find(version: string): Promise<StoredWorkflow | null> {
    const [row] = await this.conn().execute<
      { version: string; name: string; definition: unknown; created_at: Date | string }[]
    >('select version, name, definition, created_at from workflows where version = ?', [version]);
    return row
      ? {
          version: row.version,
          name: row.name,
          definition: row.definition,
          // The driver may hand timestamps over as text.
          createdAt: new Date(row.created_at),
        }
      : null;
  }

  async adopt(version: string): Promise<number> {
    const rows = await this.conn().execute<{ n: number }[]>(
      `with a as (update leads set workflow_version = ? where workflow_version is null returning 1)
       select count(*)::int as n from a`,
      [version],
    );
    return rows[0]?.n ?? 0;
  }

  async inUse(): Promise<VersionUse[]> {
    const rows = await this.conn().execute<{ version: string; n: number }[]>(
      `select workflow_version as version, count(*)::int as n from leads
        where workflow_version is not null and state not in (${ENDED.map(() => '?').join(', ')})
        group by 1 order by 2 desc, 1`,
      ENDED,
    );
    return rows.map((r) => ({ version: r.version, sessions: r.n }));
  }
}
