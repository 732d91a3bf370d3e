/**
 * Growth benchmark: what 1 M stored leads cost. One server process on a fresh database: socket journeys
 * on the empty database, then 1 M completed leads (six event-log rows, six ledger rows and five answers
 * each) written straight into the tables (generate_series, not through the app), then the same journeys
 * again; lead lists (first page, a deep keyset page, the deepest numbered page), the agents' board,
 * analytics, and the export's memory at two sizes, all against the 1 M database.
 *   npm run bench -- growth        (GROWTH_LEADS, default 1000000; BENCH_VISITORS, BENCH_JOURNEYS)
 */
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { AgentTokens } from '../../src/agents/tokens.js';
import { AnalyticsRollup } from '../../src/analytics/rollup.js';
import { encodeCursor } from '../../src/leads/cursor.js';
import { ormOptions } from '../../src/persistence/orm.js';
import { seedLeads } from '../support/seed-leads.js';
import {
  benchTarget,
  connect,
  envNumber,
  f1,
  latencySummary,
  machine,
  pct,
  printTargets,
  report,
  runMain,
  table,
  today,
  usage,
  withDatabase,
  withServer,
} from './support.js';
import { type LoadResult, loadRow, socketJourneys } from './visitors.js';

const LEADS = envNumber('GROWTH_LEADS', 1_000_000);
const VISITORS = envNumber('BENCH_VISITORS', 64);
const JOURNEYS = envNumber('BENCH_JOURNEYS', 640);
/** Timed calls per list, board and analytics measure. */
const CALLS = envNumber('GROWTH_CALLS', 30);
const KEY = 'growth-bench-key-0123456789';
const SECRET = 'growth-bench-secret-0123456789';
const CHUNK = 100_000;

/** `CALLS` timed calls of `call` (after one untimed): p50, p95, p99 in ms. */
async function timed(call: () => Promise<unknown>) {
  await call();
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await call();
    ms.push(performance.now() - t);
  }
  return latencySummary(ms.sort((a, b) => a - b));
}

/** The server's peak RSS growth while it streams an export of the leads created in [from, to). */
async function exportMemory(url: string, pid: number, from: Date, to: Date) {
  const base = usage(pid).rssMb;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, usage(pid).rssMb);
  }, 20);
  const started = performance.now();
  const res = await fetch(
    `${url}/api/leads/export?format=csv&from=${from.toISOString()}&to=${to.toISOString()}`,
    { headers: { authorization: `Bearer ${KEY}` } },
  );
  let rows = -1;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
    for (const b of chunk) if (b === 10) rows++;
  clearInterval(timer);
  return { rows, seconds: (performance.now() - started) / 1000, rssGrowthMb: peak - base };
}

runMain(async () => {
  await withDatabase(async (dbUrl) => {
    const db = new pg.Client({ connectionString: dbUrl });
    const env = { DATABASE_URL: dbUrl, API_KEYS: KEY, SECRET_KEY: SECRET };
    await db.connect();
    try {
      return await withServer(env, async (server) => {
        const chat = `${server.url}/chat`;
        const journeys = async () => {
          await socketJourneys(chat, Math.min(128, JOURNEYS), VISITORS); // warm-up
          return socketJourneys(chat, JOURNEYS, VISITORS);
        };
        await journeys(); // the server's own warm-up (JIT, pools)
        const empty = await journeys();

        const seedStarted = performance.now();
        const run = (sql: string, params?: unknown[]) => db.query(sql, params as unknown[]);
        for (let from = 1; from <= LEADS; from += CHUNK)
          await seedLeads(run, { from, to: Math.min(LEADS, from + CHUNK - 1) });
        await db.query('vacuum analyze');
        const seedSeconds = (performance.now() - seedStarted) / 1000;
        const [rows] = (
          await db.query(`select (select count(*) from leads)::int as leads,
            (select count(*) from session_events)::int as events, (select count(*) from score_entries)::int as ledger`)
        ).rows as { leads: number; events: number; ledger: number }[];

        const api = (path: string) => async () => {
          const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
          if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
          return res.json();
        };
        // The rollup's first refresh recomputes every day the import marked: once, timed on its own (here,
        // not through a request that could time out first).
        const rollupStarted = performance.now();
        const orm = await MikroORM.init(ormOptions(dbUrl, 2));
        try {
          await new AnalyticsRollup(orm, [2, 3, 4, 5, 6]).refresh();
        } finally {
          await orm.close();
        }
        const rollupSeconds = (performance.now() - rollupStarted) / 1000;

        const full = await journeys();

        // A cursor half-way down the score order, as a client that read page after page would hold.
        const [middle] = (
          await db.query(
            `select score::text as s, last_activity_at::text as a, id from leads
              order by score desc, last_activity_at desc, id desc offset $1 limit 1`,
            [Math.floor(rows!.leads / 2)],
          )
        ).rows as { s: string; a: string; id: string }[];
        const deep = encodeURIComponent(
          encodeCursor({ sort: 'score', order: 'desc', key: [middle!.s, middle!.a, middle!.id] }),
        );
        const agent = await connect(`${server.url}/agents`, {
          token: await new AgentTokens(SECRET).sign({ id: 'bench', name: 'Bench', role: 'agent' }),
        });
        const board = (filter: Record<string, unknown>) => async () => {
          const ack = await agent.timeout(30_000).emitWithAck('sessions:list', { filter });
          if (!ack?.ok) throw new Error(`sessions:list: ${JSON.stringify(ack)}`);
        };
        const lists: [string, ReturnType<typeof latencySummary>, number][] = [
          ['GET /api/leads, first page', await timed(api('/api/leads')), 100],
          [
            `GET /api/leads, cursor half-way (${rows!.leads >> 1} leads in)`,
            await timed(api(`/api/leads?cursor=${deep}`)),
            100,
          ],
          ['GET /api/leads?sort=time, first page', await timed(api('/api/leads?sort=time')), 100],
          [
            'GET /api/leads/list?page=2001&per_page=50 (deepest numbered page)',
            await timed(api('/api/leads/list?page=2001&per_page=50')),
            100,
          ],
          [
            'GET /api/leads?classification=SQL, first page',
            await timed(api('/api/leads?classification=SQL')),
            100,
          ],
          ['board (sessions:list)', await timed(board({})), 100],
          ['board, SQL only', await timed(board({ classification: 'SQL' })), 100],
          ['GET /api/analytics/leads (30 days)', await timed(api('/api/analytics/leads')), 250],
          ['GET /api/analytics/leads?days=365', await timed(api('/api/analytics/leads?days=365')), 250],
          ['GET /api/analytics/enhanced (30 days)', await timed(api('/api/analytics/enhanced')), 250],
        ];
        agent.close();

        // Export memory: about a tenth of the leads against about a hundredth (the creation times are spread).
        const now = Date.now();
        const small = await exportMemory(
          server.url,
          server.child.pid!,
          new Date(now - 4 * 86_400_000),
          new Date(now),
        );
        const large = await exportMemory(
          server.url,
          server.child.pid!,
          new Date(now - 37 * 86_400_000),
          new Date(now),
        );
        const exportRatio = large.rssGrowthMb / Math.max(1, small.rssGrowthMb);
        const ratio = full.journeysPerSecond / empty.journeysPerSecond;

        const targets = [
          benchTarget('journeys/s, 1 M leads stored against none', ratio, 'least', 0.95, pct),
          ...lists.map(([name, l, goal]) => benchTarget(`${name}: p95 ms`, l.p95, 'most', goal, f1)),
          benchTarget('export peak RSS growth, 10× the rows against 1×', exportRatio, 'most', 2),
        ];
        const journeyRow = (name: string, r: LoadResult) => loadRow(name, r);
        report(
          'growth',
          {
            leads: rows,
            seedSeconds,
            rollupSeconds,
            empty,
            full,
            ratio,
            lists,
            exports: { small, large, exportRatio },
          },
          [
            `## growth (${today()}, ${machine()}; ${rows!.leads} leads, ${rows!.events} events, ${rows!.ledger} ledger rows)`,
            '',
            `Seeded in ${seedSeconds.toFixed(0)} s (SQL, ${CHUNK} leads per statement, then VACUUM ANALYZE); the analytics` +
              ` rollup's first refresh after the import took ${rollupSeconds.toFixed(1)} s.`,
            '',
            table(
              ['socket journeys', 'journeys/s', 'events/s', 'ack p50 ms', 'p95 ms', 'p99 ms', 'failed'],
              [journeyRow('empty database', empty), journeyRow(`${rows!.leads} leads stored`, full)],
            ),
            '',
            `Journeys/s with the leads stored against the empty database: ${ratio.toFixed(2)}× (same server process, same run).`,
            '',
            table(
              ['call', 'p50 ms', 'p95 ms', 'p99 ms', 'goal p95 ms'],
              lists.map(([name, l, goal]) => [name, f1(l.p50), f1(l.p95), f1(l.p99), goal]),
            ),
            '',
            table(
              ['export (CSV, streamed)', 'rows', 'seconds', 'server peak RSS growth MB'],
              [
                ['last 4 days', small.rows, small.seconds.toFixed(1), f1(small.rssGrowthMb)],
                ['last 37 days', large.rows, large.seconds.toFixed(1), f1(large.rssGrowthMb)],
              ],
            ),
            '',
            `Export peak RSS growth, the larger against the smaller: ${exportRatio.toFixed(2)} (≈ 1: flat).`,
          ].join('\n'),
        );
        printTargets(targets);
      });
    } finally {
      await db.end();
    }
  });
});
