import { afterAll, afterEach, beforeAll } from 'vitest';
import { type App, type AppOverrides, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TestClock } from './engine.js';
import { closeClients } from './sockets.js';
import { sleep } from './time.js';
import { SEED_RULES_FILE } from './workflows.js';

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
    // Tests move the clock and run routing's sweep themselves (app.routing.router.sweep()).
    ROUTING_SWEEP_SECONDS: '3600',
    // Every client of a test is 127.0.0.1: the budget of new sessions per address is off unless a test
    // sets it (connection-cap.test.ts, cluster.test.ts).
    SESSION_STARTS_PER_MINUTE: '0',
    // The built-in workflow's experiments vary the greeting and the question order by session: tests
    // drive a fixed journey, so they are off unless a test switches them on (experiments.test.ts,
    // compat.test.ts).
    AB_TESTING_ENABLED: 'false',
    // The seed's own scoring rules (the built-in workflow without answer values), so the exact scores
    // the tests check stay the earlier service's; a test of answer values runs the built-in workflow
    // with `overrides.workflow` (see ./workflows.ts).
    WORKFLOW_FILE: SEED_RULES_FILE,
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

/** The server of a describe block (see `serverFor`): readable once its tests run. */
export interface RunningServer {
  /** The clock its engine reads, which the tests move. */
  readonly clock: TestClock;
  readonly app: App;
  readonly url: string;
  readonly db: TestDatabase;
}

/**
 * A server for the tests of the describe block (or file) this is called in: on a clock of their own and
 * a database of its own, started before the first test and closed after the last. The socket clients a
 * test opens are closed after it.
 */
export function serverFor(
  env: Record<string, string> = {},
  overrides: Omit<AppOverrides, 'now'> = {},
): RunningServer {
  const clock = new TestClock();
  let running: TestApp | undefined;
  afterEach(closeClients);
  beforeAll(async () => {
    running = await startTestApp(env, { ...overrides, now: clock.now });
  });
  afterAll(async () => {
    await running?.close();
  });
  const started = () => {
    if (!running) throw new Error('the server starts in beforeAll: read it inside a test');
    return running;
  };
  return {
    clock,
    get app() {
      return started().app;
    },
    get url() {
      return started().app.url;
    },
    get db() {
      return started().db;
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

/** The open /chat connections a server started with METRICS_TOKEN counts (lcb_socket_connections). */
export async function socketConnections(url: string): Promise<number> {
  const m = /^lcb_socket_connections (\d+)/m.exec(await scrapeMetrics(url));
  if (!m) throw new Error('no lcb_socket_connections in /metrics');
  return Number(m[1]);
}

/**
 * lcb_socket_connections once it reads `want`, or what it reads after `ms`: the server counts a closed
 * connection a moment after the client has closed it.
 */
export async function settledConnections(url: string, want: number, ms = 5000): Promise<number> {
  const end = Date.now() + ms;
  let value = await socketConnections(url);
  while (value !== want && Date.now() < end) {
    await sleep(25);
    value = await socketConnections(url);
  }
  return value;
}
