import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { awards, SECOND } from '../support/chat.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { bearer, http, type Json } from '../support/http.js';
import { closeClients, openVisitor, type VisitorClient } from '../support/sockets.js';
import { waitFor } from '../support/time.js';
import { seedRulesInput } from '../support/workflows.js';

/**
 * Workflow versions: a conversation keeps the workflow it started with across a restart on an edited
 * WORKFLOW_FILE (its questions, their words and its points), while new conversations start on the new
 * one; nodes that run different files at once each store theirs; GET /api/workflow tells which is active
 * and which are still in use.
 */

const API_KEY = 'versions-test-api-key-0123456789';

const W1_Q3 = 'Which city or town is your business in?';
const W2_Q3 = 'In which city do you trade?';

/** The seed-rules workflow without its experiments (a fixed question order, no answer values). */
const w1 = { ...seedRulesInput(), experiments: [] };
/** W1 edited: question 3 reworded, question 4 (staff size) removed, an answer worth 8 instead of 5. */
const w2 = {
  ...structuredClone(w1),
  questions: w1.questions.filter((q) => q.id !== 4).map((q) => (q.id === 3 ? { ...q, text: W2_Q3 } : q)),
  scoring: { ...w1.scoring, answered_question: 8 },
};

const dir = mkdtempSync(join(tmpdir(), 'lcb-versions-'));
const W1_FILE = join(dir, 'w1.json');
const W2_FILE = join(dir, 'w2.json');
writeFileSync(W1_FILE, JSON.stringify(w1));
writeFileSync(W2_FILE, JSON.stringify(w2));

/** The checksum of a definition, worked out here: SHA-256 of its RFC 8785 canonical JSON. */
const sha256 = (definition: unknown) => createHash('sha256').update(canonicalize(definition)!).digest('hex');

const env = (file: string) => ({ WORKFLOW_FILE: file, API_KEYS: API_KEY });

async function versionOf(db: TestDatabase, sessionId: string): Promise<string> {
  const [row] = await db.query<{ v: string }>('select workflow_version as v from leads where id = $1', [
    sessionId,
  ]);
  return row!.v;
}

const workflowInfo = async (url: string): Promise<Json> => {
  const r = await http(url, 'GET', '/api/workflow', undefined, bearer(API_KEY));
  expect(r.status, r.text).toBe(200);
  return r.body;
};

/** Resumes a session on a node, waiting for the prompt it is sent again. */
async function resume(url: string, sessionId: string): Promise<VisitorClient> {
  const chat = openVisitor(url, { auth: { sessionId } });
  expect(await chat.hello()).toMatchObject({ sessionId, resumed: true });
  await chat.message(0);
  return chat;
}

afterEach(closeClients);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a restart on an edited WORKFLOW_FILE', () => {
  const clock = new TestClock();
  let db: TestDatabase;
  let app: TestApp | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('the conversation in flight goes on with the questions and points it started with; a new one gets the new file', async () => {
    app = await startTestApp(env(W1_FILE), { now: clock.now }, db);
    const first = openVisitor(app.app.url);
    const { sessionId: old } = await first.hello();
    clock.advance(2 * SECOND);
    await first.say('visitor:reply', { optionIds: ['yes'] });
    clock.advance(2 * SECOND);
    expect(await first.say('visitor:reply', { optionIds: ['wholesale_fmcg'] })).toMatchObject({ score: 20 });
    expect(await first.message(2)).toMatchObject({ questionId: 3, text: W1_Q3 });
    const w1Version = (await workflowInfo(app.app.url)).version as string;
    first.close();
    await app.close();

    // The file is edited and the server restarted on it.
    app = await startTestApp(env(W2_FILE), { now: clock.now }, db);
    const url = app.app.url;
    clock.advance(300 * SECOND);
    const again = await resume(url, old);
    expect(again.messages[0]).toMatchObject({ questionId: 3, text: W1_Q3 });
    // The compat route reads the session's own workflow too.
    const nextQ = await http(url, 'POST', '/api/next-question', { session_id: old });
    expect(nextQ.body).toMatchObject({ id: 3, question_text: W1_Q3 });

    // A new conversation, meanwhile, runs on the edited file.
    const fresh = openVisitor(url);
    const { sessionId: neu } = await fresh.hello();
    clock.advance(2 * SECOND);
    await fresh.say('visitor:reply', { optionIds: ['yes'] });
    clock.advance(2 * SECOND);
    expect(await fresh.say('visitor:reply', { optionIds: ['restaurant_cafe'] })).toMatchObject({
      score: 23,
      awarded: awards(['answered_question', 8], ['quick_reply', 5]),
    });
    expect(await fresh.message(2)).toMatchObject({ questionId: 3, text: W2_Q3 });
    expect((await http(url, 'POST', '/api/next-question', { session_id: neu })).body).toMatchObject({
      id: 3,
      question_text: W2_Q3,
    });
    clock.advance(2 * SECOND);
    await fresh.say('visitor:reply', { text: 'Madurai' });
    // Question 4 is gone from the edited file: the new conversation goes on to question 5.
    expect(await fresh.message(3)).toMatchObject({ questionId: 5 });

    // Both versions are in use by an open conversation; the edited one is active.
    const info = await workflowInfo(url);
    expect(info.checksum).toBe(`sha256:${info.version}`);
    expect(info.version).toBe(sha256(info.definition));
    expect(info.version).not.toBe(w1Version);
    expect(info.name).toBe(w2.name);
    expect(Number.isNaN(Date.parse(info.created_at))).toBe(false);
    expect(info.definition.questions.map((q: { id: number }) => q.id)).toEqual([2, 3, 5, 6]);
    expect(info.definition.scoring.answered_question).toBe(8);
    expect(info.in_use).toEqual(
      expect.arrayContaining([
        { version: info.version, sessions: 1, active: true },
        { version: w1Version, sessions: 1, active: false },
      ]),
    );
    expect(info.in_use).toHaveLength(2);
    expect(await versionOf(db, old)).toBe(w1Version);
    expect(await versionOf(db, neu)).toBe(info.version);
    const stored = await db.query<{ version: string; definition: unknown }>(
      'select version, definition from workflows order by created_at',
    );
    expect(stored.map((r) => r.version).sort()).toEqual([w1Version, info.version].sort());
    // Each stored definition is named by its own checksum.
    for (const row of stored) expect(sha256(row.definition)).toBe(row.version);

    // The conversation in flight asks and scores by W1 to its end: question 4 too, 5 points an answer.
    expect(await again.say('visitor:reply', { text: 'Ludhiana, Punjab' })).toMatchObject({
      score: 30,
      awarded: awards(['answered_question', 5], ['detailed_answer', 5]),
    });
    await again.nth('bot:message', (m) => m.questionId === 4);
    clock.advance(2 * SECOND);
    await again.say('visitor:reply', { optionIds: ['more_than_fifteen'] });
    clock.advance(2 * SECOND);
    await again.say('visitor:reply', { optionIds: ['over_5l'] });
    clock.advance(2 * SECOND);
    expect(await again.say('visitor:reply', { optionIds: ['loans'] })).toMatchObject({
      score: 70,
      state: 'contact',
    });
    clock.advance(2 * SECOND);
    await again.say('visitor:contact', { email: 'owner@wholesale.example' });
    clock.advance(2 * SECOND);
    expect(await again.say('visitor:reply', { optionIds: ['start_trial'] })).toMatchObject({
      score: 95,
      classification: 'SQL',
      state: 'completed',
    });
    await waitFor('completed prompt', () => again.messages.find((m) => m.step === 'completed'));
    const ledger = await db.query<{ points: number }>(
      `select points from score_entries where lead_id = $1 and behavior = 'answered_question'`,
      [old],
    );
    expect(ledger.map((e) => e.points)).toEqual([5, 5, 5, 5, 5]);

    // Ended, it no longer holds W1 in use.
    expect((await workflowInfo(url)).in_use).toEqual([{ version: info.version, sessions: 1, active: true }]);
  });

  it('GET /api/workflow is for operators: 401 without a credential or with a wrong one', async () => {
    const url = app!.app.url;
    for (const headers of [{}, bearer(`${API_KEY}-wrong`)]) {
      const r = await http(url, 'GET', '/api/workflow', undefined, headers);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.text).not.toContain(W2_Q3);
    }
  });
});

describe('the idle deadline after a restart on a file with a longer one', () => {
  const clock = new TestClock();
  let db: TestDatabase;
  let app: TestApp | undefined;
  const LONGER = join(dir, 'w2-idle-60.json');

  beforeAll(async () => {
    db = await createTestDatabase();
    writeFileSync(LONGER, JSON.stringify({ ...w2, idleMinutes: 60 }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("each session is abandoned by its own workflow's deadline", async () => {
    app = await startTestApp(env(W1_FILE), { now: clock.now }, db);
    const old = (await app.app.engine.startSession()).sessionId;
    await app.app.close();
    app = await startTestApp(env(LONGER), { now: clock.now }, db);
    const neu = (await app.app.engine.startSession()).sessionId;

    // 45 minutes on: past W1's 30, within the edited file's 60.
    clock.advance(45 * 60 * SECOND);
    expect(await app.app.engine.expireIdle()).toBe(1);
    const states = await db.query<{ id: string; state: string }>('select id, state from leads');
    expect(Object.fromEntries(states.map((r) => [r.id, r.state]))).toEqual({
      [old]: 'abandoned',
      [neu]: 'greeting',
    });
    clock.advance(20 * 60 * SECOND);
    expect(await app.app.engine.expireIdle()).toBe(1);
  });
});

describe('experiments across a restart on an edited file', () => {
  let db: TestDatabase;
  let app: TestApp | undefined;
  const WITH = join(dir, 'w1-experiments.json');
  const EDITED = join(dir, 'w2-experiments.json');
  const greetings = (a: string, b: string) => ({
    ...structuredClone(defaultWorkflow),
    experiments: [
      {
        name: 'greeting_message',
        kind: 'greeting_message',
        variants: [
          { id: 'A', weight: 1, config: { text: a } },
          { id: 'B', weight: 1, config: { text: b } },
        ],
      },
    ],
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    writeFileSync(WITH, JSON.stringify(greetings('Hello from A', 'Hello from B')));
    writeFileSync(EDITED, JSON.stringify(greetings('Namaste from A', 'Namaste from B')));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("a session's variant is configured by the workflow it started with", async () => {
    const on = { ...env(WITH), AB_TESTING_ENABLED: 'true' };
    app = await startTestApp(on, {}, db);
    const old = (await app.app.engine.startSession()).sessionId;
    await app.app.close();
    app = await startTestApp({ ...on, WORKFLOW_FILE: EDITED }, {}, db);
    const neu = (await app.app.engine.startSession()).sessionId;
    const variantOf = async (sessionId: string) =>
      (await http(app!.app.url, 'POST', '/api/ab-test/variant/greeting_message', { session_id: sessionId }))
        .body;
    const before = await variantOf(old);
    expect(before.config.text).toBe(`Hello from ${before.variant}`);
    const after = await variantOf(neu);
    expect(after.config.text).toBe(`Namaste from ${after.variant}`);
  });
});

describe('two nodes starting at once on different workflow files', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    [a, b] = await Promise.all([
      startTestApp({ ...env(W1_FILE), NODE_ID: 'node-a' }, {}, db),
      startTestApp({ ...env(W2_FILE), NODE_ID: 'node-b' }, {}, db),
    ]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('each stores its own, and a session keeps its version on the other node', async () => {
    const [infoA, infoB] = await Promise.all([workflowInfo(a.app.url), workflowInfo(b.app.url)]);
    expect(infoA.version).toBe(sha256(infoA.definition));
    expect(infoB.version).toBe(sha256(infoB.definition));
    expect(infoA.version).not.toBe(infoB.version);
    expect((await db.query('select version from workflows')).map((r) => r.version).sort()).toEqual(
      [infoA.version, infoB.version].sort(),
    );

    // Started on A (W1), continued on B; started on B (W2), continued on A.
    const onA = openVisitor(a.app.url);
    const { sessionId: fromA } = await onA.hello();
    await onA.say('visitor:reply', { optionIds: ['yes'] });
    await onA.say('visitor:reply', { optionIds: ['kirana_retail'] });
    const onB = openVisitor(b.app.url);
    const { sessionId: fromB } = await onB.hello();
    await onB.say('visitor:reply', { optionIds: ['yes'] });
    await onB.say('visitor:reply', { optionIds: ['kirana_retail'] });
    onA.close();
    onB.close();

    const aOnB = await resume(b.app.url, fromA);
    expect(aOnB.messages[0]).toMatchObject({ questionId: 3, text: W1_Q3 });
    expect(await aOnB.say('visitor:reply', { text: 'Pune' })).toMatchObject({
      awarded: expect.arrayContaining([{ behavior: 'answered_question', points: 5 }]),
    });
    await aOnB.nth('bot:message', (m) => m.questionId === 4);

    const bOnA = await resume(a.app.url, fromB);
    expect(bOnA.messages[0]).toMatchObject({ questionId: 3, text: W2_Q3 });
    expect(await bOnA.say('visitor:reply', { text: 'Pune' })).toMatchObject({
      awarded: expect.arrayContaining([{ behavior: 'answered_question', points: 8 }]),
    });
    await bOnA.nth('bot:message', (m) => m.questionId === 5);
    expect(bOnA.received('bot:message', (m) => m.questionId === 4)).toEqual([]);

    expect(await versionOf(db, fromA)).toBe(infoA.version);
    expect(await versionOf(db, fromB)).toBe(infoB.version);
    // Each node tells its own active version, and both see both in use.
    for (const [url, active] of [
      [a.app.url, infoA.version],
      [b.app.url, infoB.version],
    ] as const) {
      const { in_use } = await workflowInfo(url);
      expect(in_use).toEqual(
        expect.arrayContaining([
          { version: infoA.version, sessions: 1, active: active === infoA.version },
          { version: infoB.version, sessions: 1, active: active === infoB.version },
        ]),
      );
    }
  });

  it('a stored version a session names cannot be deleted; one that no longer passes the schema is refused with workflow_unavailable (a socket resume starts anew), and the lead stays readable', async () => {
    const chat = openVisitor(a.app.url);
    const { sessionId } = await chat.hello();
    await chat.say('visitor:reply', { optionIds: ['yes'] });
    chat.close();
    const version = await versionOf(db, sessionId);
    await expect(db.query('delete from workflows where version = $1', [version])).rejects.toThrow(
      /foreign key/,
    );

    // As a later release whose schema the stored definition no longer passes would read it.
    await db.query(`update workflows set definition = definition - 'questions' where version = $1`, [
      version,
    ]);
    // A node that has not loaded it yet starts all the same (and says so in its log).
    const c = await startTestApp({ ...env(W2_FILE), NODE_ID: 'node-c' }, {}, db);
    try {
      // The widget asking to resume it is given a new conversation on the active workflow instead.
      const widget = openVisitor(c.app.url, { auth: { sessionId } });
      const hello = await widget.hello();
      expect(hello).toMatchObject({ resumed: false, state: 'greeting', score: 5 });
      expect(hello.sessionId).not.toBe(sessionId);
      expect(await versionOf(db, hello.sessionId)).toBe((await workflowInfo(c.app.url)).version);
      const answer = await http(c.app.url, 'POST', '/api/answer', {
        session_id: sessionId,
        question_id: 2,
        answer_text: 'Kirana / Retail Shop',
      });
      expect(answer.status).toBe(409);
      expect(answer.body.error).toMatchObject({ code: 'workflow_unavailable' });
      expect(answer.body.error.message).toMatch(/start a new conversation/);
      const next = await http(c.app.url, 'POST', '/api/next-question', { session_id: sessionId });
      expect(next.body.error).toMatchObject({ code: 'workflow_unavailable' });
      // Nothing was written, and what the lead holds can still be read and exported.
      const summary = await http(c.app.url, 'GET', `/api/lead/summary/${sessionId}`);
      expect(summary.status).toBe(200);
      expect(summary.body.lead_score).toBe(10);
    } finally {
      await c.close();
    }
  });
});
