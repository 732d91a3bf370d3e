import { afterAll, describe, expect, it } from 'vitest';
import type { CommitQueue } from '../../src/conversation/commit-queue.js';
import { startTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { visitor } from '../support/sockets.js';
import { sleep } from '../support/time.js';

describe('graceful shutdown', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
  });

  it('finishes the in-flight event, closes sockets and the pool, and can be called twice', async () => {
    db = await createTestDatabase();
    // Commits wait at a gate, so the test can start the shutdown while an event is inside the engine.
    let reachedGate!: () => void;
    const atGate = new Promise<void>((r) => (reachedGate = r));
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let holding = false;
    const wrapCommits = (q: CommitQueue): CommitQueue => ({
      async commit(unit) {
        if (holding) {
          reachedGate();
          await gate;
        }
        return q.commit(unit);
      },
    });
    const t = await startTestApp({}, { wrapCommits }, db);
    const client = await visitor(t.app.url);
    const session = await client.hello();

    holding = true;
    const inFlight = fetch(`${t.app.url}/api/answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: session.sessionId, question_id: 1, answer_text: 'Yes, go ahead' }),
    });
    await atGate;
    const closing = t.app.close();
    await sleep(50);
    openGate();
    const response = await inFlight;
    await closing;
    await t.app.close();

    expect(response.status).toBe(200);
    expect(((await response.json()) as { lead_score: number }).lead_score).toBe(10);
    expect(await client.disconnected()).toBe('io server disconnect');
    const [lead] = await db.query('select score, state from leads where id = $1', [session.sessionId]);
    expect(lead).toEqual({ score: 10, state: 'questions' });
    const [{ n }] = (await db.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    )) as [{ n: number }];
    expect(n).toBe(0);
    await expect(fetch(`${t.app.url}/health`)).rejects.toThrow();
    client.close();
  });
});
