import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabaseUrl } from './database.js';
import { migrate } from './migrate.js';
import { ormOptions } from './orm.js';

/** `db:migrate` applies pending migrations; `db:migration:create [--initial]` writes a new one from the entities. */
async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await openDatabaseUrl(config, logger);
  const orm = await MikroORM.init(ormOptions(database.url, 1));
  try {
    if (command === 'migrate') {
      const done = await migrate(orm, database.url);
      logger.info({ applied: done }, `${done.length} migration(s) applied`);
    } else if (command === 'create') {
      const result = await orm.migrator.createMigration(undefined, false, args.includes('--initial'));
      if (!result.fileName) logger.info('no changes: the database already matches the entities');
      else logger.info(`created ${result.fileName}: add it to src/persistence/migrations/index.ts`);
    } else {
      throw new Error(`unknown command ${command ?? '(none)'}; use migrate or create`);
    }
  } finally {
    await orm.close();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
