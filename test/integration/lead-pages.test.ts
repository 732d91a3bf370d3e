import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { seedLeads } from '../support/seed-leads.js';

const API_KEY = 'pages-key-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Body = Record<string, any>;

describe('lead lists by keyset (cursor) and by page', () => {
  let t: TestApp;

  const get = async (path: string) => {
    const res = await fetch(`${t.app.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return { status: res.status, body: (await res.json()) as Body, headers: res.headers };
  };
  const idsOf = (body: Body): string[] => body.leads.map((l: { session_id: string }) => l.session_id);

  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: API_KEY, RATE_LIMIT_PER_MINUTE: '100000' });
    // 240 leads; scores repeat every 101 and many share a creation second: the id breaks the ties.
    await seedLeads((sql, params) => t.db.query(sql, params), { from: 1, to: 240, days: 3, children: false });
    await t.db.query(`update leads set last_activity_at = created_at - (id::bytea > 'sess_g00000120')::int * interval '1 hour',
      created_at = date_trunc('hour', created_at)`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['score', 'desc'],
    ['score', 'asc'],
    ['time', 'desc'],
    ['time', 'asc'],
  ])('a cursor walks every lead once by %s %s, while new leads arrive', async (sort, order) => {
    const before = (await t.db.query<{ id: string }>('select id from leads')).map((r) => r.id);
    const seen: string[] = [];
    let path = `/api/leads?sort=${sort}&order=${order}&page_size=17`;
    let added = 0;
    for (;;) {
      const { status, body } = await get(path);
      expect(status, JSON.stringify(body)).toBe(200);
      seen.push(...idsOf(body));
      if (body.next_cursor === null) break;
      // Leads arrive between pages, some of them sorting before the cursor and some after it.
      const n = 10_000 + added;
      await seedLeads((sql, params) => t.db.query(sql, params), {
        from: n,
        to: n + 2,
        prefix: sort + order,
        days: 3,
        children: false,
      });
      added += 3;
      path = `/api/leads?sort=${sort}&order=${order}&page_size=17&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(before.filter((id) => !seen.includes(id))).toEqual([]);
    // The order holds across pages: what the database gives for the leads seen, in one query.
    const columns = sort === 'score' ? 'score, last_activity_at, id' : 'created_at, id';
    const direction = columns
      .split(', ')
      .map((c) => `${c} ${order}`)
      .join(', ');
    const ordered = await t.db.query<{ id: string }>(
      `select id from leads where id = any($1) order by ${direction}`,
      [seen],
    );
    expect(seen).toEqual(ordered.map((r) => r.id));
  });

  it('keeps the numbered pages and the old names: page, page_size, per_page; count and total', async () => {
    const first = await get('/api/leads?page_size=10&sort=time&order=asc');
    expect(first.body).toMatchObject({
      page: 1,
      page_size: 10,
      total_is_estimate: false,
      total_capped_at: 10_000,
      next_cursor: expect.any(String),
    });
    const total = first.body.total as number;
    const third = await get('/api/leads?page=3&page_size=10&sort=time&order=asc');
    const viaCursor = await get(
      `/api/leads?page_size=10&sort=time&order=asc&cursor=${encodeURIComponent(
        (await get(`/api/leads?page_size=20&sort=time&order=asc`)).body.next_cursor,
      )}`,
    );
    expect(idsOf(third.body)).toEqual(idsOf(viaCursor.body));
    for (const path of ['/api/leads/list', '/api/leads/dashboard']) {
      const old = await get(`${path}?page=3&per_page=10&sort=time&order=asc`);
      expect(old.status).toBe(200);
      expect(Object.keys(old.body).sort()).toEqual(['count', 'leads']);
      expect(old.body.count).toBe(total);
      expect(old.headers.get('x-count-is-estimate')).toBe('false');
      expect(old.headers.get('x-next-cursor')).toEqual(expect.any(String));
      expect(idsOf(old.body)).toEqual(idsOf(third.body));
    }
    const last = await get(`/api/leads?page=${Math.ceil(total / 10)}&page_size=10`);
    expect(last.body.next_cursor).toBeNull();
  });

  it('refuses a cursor it did not give, one of another order, or with a page number', async () => {
    const { body } = await get('/api/leads?page_size=5');
    const cursor = encodeURIComponent(body.next_cursor);
    for (const path of [
      '/api/leads?cursor=bm90LWEtY3Vyc29y',
      `/api/leads?cursor=${Buffer.from(JSON.stringify(['score', 'desc', 'x', '2026-11-30', 'a'])).toString('base64url')}`,
      `/api/leads?cursor=${cursor}&sort=time`,
      `/api/leads?cursor=${cursor}&page=2`,
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(422);
      expect(r.body.error.code).toBe('validation_failed');
    }
  });

  it('counts up to the cap and estimates beyond it, saying so', async () => {
    await seedLeads((sql, params) => t.db.query(sql, params), {
      from: 20_000,
      to: 30_500,
      prefix: 'many',
      children: false,
    });
    await t.db.query('analyze leads');
    const all = await get('/api/leads?page_size=1');
    expect(all.body).toMatchObject({ total_is_estimate: true, total_capped_at: 10_000 });
    expect(all.body.total).toBeGreaterThan(10_000);
    const filtered = await get('/api/leads/list?per_page=1&utm_source=google');
    expect(filtered.headers.get('x-count-is-estimate')).toBe('false');
    expect(filtered.body.count).toBe(
      (
        await t.db.query<{ n: number }>(`select count(*)::int as n from leads where utm_source = 'google'`)
      )[0]!.n,
    );
    const sql = await get('/api/leads?page_size=1&state=completed');
    expect(sql.body).toMatchObject({ total: 10_000, total_is_estimate: true });
  });
});
