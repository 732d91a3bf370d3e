import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openDatabaseUrl } from '../../src/persistence/database.js';
import { buildWeb } from '../../src/web/build.js';
import { testRedisUrl } from './redis.js';
import { requirePostgres, requireRedis } from './requirements.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL tests may create and drop databases through. */
    pgAdminUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` when set (CI points it at the real server),
 * otherwise an embedded one under ./data/test-postgres. Each test file makes its own database in it.
 * A PostgreSQL or Redis that cannot be reached fails the run here, with a message saying how to start it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  if (config.database.url) await requirePostgres(config.database.url);
  await requireRedis(testRedisUrl());
  const logger = createLogger({ logLevel: 'warn', nodeId: 'test' });
  const database = config.database.url
    ? await openDatabaseUrl(config, logger)
    : await openDatabaseUrl(
        { database: { ...config.database, embeddedDir: './data/test-postgres', embeddedPort: 54339 } },
        logger,
      );
  project.provide('pgAdminUrl', database.url);
  // The pages and bundles the server serves (dist/web), built the way `npm run build` builds them.
  await buildWeb();
  return () => database.close();
}
