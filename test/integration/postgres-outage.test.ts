import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { importEmbeddedPostgres } from '../../src/persistence/database.js';
import { visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';
import {
  expectAckedStored,
  expectSoundDatabase,
  JOURNEY,
  JOURNEY_SCORE,
  Visitor,
} from '../support/visitors.js';
import { SEED_RULES_FILE } from '../support/workflows.js';

/**
 * PostgreSQL stopped for a few seconds under load: events fail with `unavailable` and leave nothing
 * half written; when it is back the server recovers by itself, without a restart. The database here
 * is a private embedded PostgreSQL, so stopping it disturbs no other test.
 */
describe('a PostgreSQL outage', () => {
  // Under the system's temp folder, which the postgres user can always walk into (PostgreSQL will
  // not run as root, so the package runs it as that user).
  const dir = mkdtempSync(resolve(tmpdir(), 'lcb-outage-'));
  chmodSync(dir, 0o755);
  const port = 56000 + Math.floor(Math.random() * 3000);
  let pg: InstanceType<Awaited<ReturnType<typeof importEmbeddedPostgres>>>;
  let app: App;

  beforeAll(async () => {
    const EmbeddedPostgres = await importEmbeddedPostgres();
    pg = new EmbeddedPostgres({
      databaseDir: resolve(dir, 'pg'),
      port,
      user: 'postgres',
      password: 'outage',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    });
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('outage');
    app = await createApp(
      loadConfig({
        DATABASE_URL: `postgres://postgres:outage@127.0.0.1:${port}/outage`,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_PER_MINUTE: '100000',
        // The fixed JOURNEY and its exact scores (see test/support/app.ts).
        AB_TESTING_ENABLED: 'false',
        WORKFLOW_FILE: SEED_RULES_FILE,
      }),
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await app?.close();
    await pg?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails events with unavailable while it is down, writes nothing half, and recovers on its own', async () => {
    const chat = await visitor(app.url, { waitMs: 15_000 });
    const { sessionId } = await chat.hello();
    const send = (payload: { optionIds: string[] }) => chat.send('visitor:reply', payload);
    expect((await send({ optionIds: ['yes'] })).ok).toBe(true);

    await pg.stop();
    const during = await send({ optionIds: ['other'] });
    expect(during).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(503);

    await pg.start();
    // No restart of the server: the pool reconnects by itself.
    let after: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 20 && !after?.ok; i++) {
      after = await send({ optionIds: ['other'] });
      if (!after.ok) await sleep(250);
    }
    expect(after).toMatchObject({ ok: true, score: 20 });
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    chat.close();

    // What was acknowledged is there once; what failed left nothing.
    const [lead] = await app.orm.em
      .fork()
      .getConnection()
      .execute<{ score: number; total: number; answers: number }[]>(
        `select l.score, (select sum(points)::int from score_entries s where s.lead_id = l.id) as total,
                (select count(*)::int from answers a where a.lead_id = l.id) as answers
           from leads l where l.id = ?`,
        [sessionId],
      );
    expect(lead).toEqual({ score: 20, total: 20, answers: 1 });
  });

  it('under load: visitors get ok or unavailable, retry with the same ids, and nothing is lost or doubled', async () => {
    const db = {
      query: <T>(sql: string, params: unknown[] = []) =>
        app.orm.em.fork().getConnection().execute<T[]>(sql.replace(/\$\d+/g, '?'), params),
    };
    const crowd = Array.from({ length: 8 }, (_, i) => new Visitor(`p${i}`));
    // The first steps race the stop; from the fifth on, every step is sent once PostgreSQL is down.
    let markStopped!: () => void;
    const stopped = new Promise<void>((r) => (markStopped = r));
    const walking = crowd.map(async (v) => {
      for (const [i, [event, payload]] of JOURNEY.entries()) {
        if (i === 4) await stopped;
        await sleep(50 + Math.random() * 150);
        // Refused with unavailable while PostgreSQL is down: the same clientMessageId again, a bit later.
        const ack = await v.deliver(event, payload, () => app.url, 45_000, 300);
        expect(ack, `${v.name} ${event}`).toMatchObject({ ok: true });
      }
    });
    const done = Promise.allSettled(walking);
    const sent = () => crowd.flatMap((v) => v.sent);
    await waitFor('load before the outage', () => sent().filter((s) => s.ack?.ok).length >= 16, 30_000);
    await pg.stop();
    markStopped();
    await waitFor(
      'refusals during the outage',
      () => sent().some((s) => s.ack?.ok === false && s.ack.error.code === 'unavailable'),
      15_000,
    );
    await sleep(2000);
    await pg.start();
    const results = await done;
    expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
    for (const v of crowd) v.close();

    // Each answer was taken or refused as unavailable; nothing else, and no ack was lost.
    for (const s of sent()) {
      expect(s.lost, s.clientMessageId).toBeUndefined();
      if (!s.ack!.ok) expect(s.ack!.error?.code, s.clientMessageId).toBe('unavailable');
    }
    await expectAckedStored(db, crowd);
    const leads = await expectSoundDatabase(db);
    for (const v of crowd) {
      expect(leads.find((l) => l.id === v.sessionId)?.score, v.name).toBe(JOURNEY_SCORE);
      const [row] = await db.query<{ n: number }>(
        'select count(*)::int as n from session_events where lead_id = $1 and client_message_id is not null',
        [v.sessionId],
      );
      expect(row?.n, v.name).toBe(JOURNEY.length);
    }
  });
});
