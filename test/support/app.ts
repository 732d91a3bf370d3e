import { type App, type AppOverrides, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: App;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A server on port 0 against a database of its own, built by the same composition root as production. */
export async function startTestApp(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
  db?: TestDatabase,
): Promise<TestApp> {
  const database = db ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    IDLE_SWEEP_SECONDS: '3600',
    // Every client of a test is 127.0.0.1: the budget of new sessions per address is off unless a test
    // sets it (connection-cap.test.ts, cluster.test.ts).
    SESSION_STARTS_PER_MINUTE: '0',
    // The built-in workflow's experiments vary the greeting and the question order by session: tests
    // drive a fixed journey, so they are off unless a test switches them on (experiments.test.ts,
    // compat.test.ts).
    AB_TESTING_ENABLED: 'false',
    ...env,
  });
  const app = await createApp(config, overrides);
  return {
    app,
    db: database,
    async close() {
      await app.close();
      if (!db) await database.drop();
    },
  };
}

/** The METRICS_TOKEN of the test servers that read their metrics (`/metrics` is not public). */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** The Prometheus text of a server started with METRICS_TOKEN (fails on any other answer). */
export async function scrapeMetrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return res.text();
}
