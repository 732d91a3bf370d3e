import { Migrator } from '@mikro-orm/migrations';
import { type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

const migrationsFolder = 'src/persistence/migrations';

/** MikroORM options for a database URL; the same for the server, the CLI and the tests. */
export function ormOptions(clientUrl: string, poolMax = 10): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: poolMax },
    // Writes go through explicit transactions of the engine; nothing flushes implicitly.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: migrationsFolder,
      pathTs: migrationsFolder,
      migrationsList,
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: false,
      silent: true,
    },
  };
}
