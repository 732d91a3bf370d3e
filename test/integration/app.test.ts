import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/cluster.js';

describe('the server on an external PostgreSQL (DATABASE_URL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('migrates on start and reports health', async () => {
    const res = await fetch(`${t.app.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { timestamp: string };
    expect(body).toMatchObject({ status: 'healthy', database: 'up', redis: 'not_configured' });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    const tables = await t.db.query(`select tablename from pg_tables where schemaname = 'public' order by 1`);
    expect(tables.map((r) => r.tablename)).toEqual(
      expect.arrayContaining(['answers', 'leads', 'mikro_orm_migrations', 'score_entries', 'session_events']),
    );
  });

  it('close() is idempotent', async () => {
    const other = await startTestApp({}, {}, t.db);
    await other.app.close();
    await other.app.close();
  });
});

describe('the embedded default (no DATABASE_URL)', () => {
  mkdirSync('data', { recursive: true });
  const dir = mkdtempSync(resolve('data', 'test-embedded-'));
  // mkdtemp makes a private folder; the postgres user must be able to walk into it.
  chmodSync(dir, 0o755);
  let app: App;
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    EMBEDDED_PG_DIR: resolve(dir, 'pg'),
    EMBEDDED_PG_PORT: '',
    // The conversation below follows the workflow's own question order (see test/support/app.ts).
    AB_TESTING_ENABLED: 'false',
  };

  beforeAll(async () => {
    // A port that is free now (a random one can be taken by some outgoing connection's local port).
    env.EMBEDDED_PG_PORT = String(await freePort());
    app = await createApp(loadConfig(env));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts its own PostgreSQL, migrates it, and runs a conversation that survives a restart', async () => {
    expect(app.config.database.url).toBeUndefined();
    const started = await app.engine.startSession({ utmSource: 'embedded' });
    await app.engine.handle(started.sessionId, { kind: 'reply', optionIds: ['yes'] });
    const r = await app.engine.handle(started.sessionId, { kind: 'reply', optionIds: ['kirana_retail'] });
    // The built-in workflow: opened 5, greeting 5, an answer 5 + quick 5, and a kirana shop's value 5.
    expect(r.score).toBe(25);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);

    // A second start on the same data folder finds the database and the conversation in it.
    await app.close();
    app = await createApp(loadConfig(env));
    const view = await app.engine.view(started.sessionId);
    expect(view).toMatchObject({ state: 'questions', score: 25 });
    expect(view.prompt?.questionId).toBe(3);
  });
});
