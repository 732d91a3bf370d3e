/**
 * Export memory benchmark: streams GET /api/leads/export?format=csv for 10k and then 100k leads from an
 * in-process server and samples the process RSS and heap while it runs. Constant memory shows as a
 * 100k/10k ratio of the peak growth near 1 (the 10k run is the baseline measured in the same run).
 *   DATABASE_URL=postgres://… npm run bench   (a database it may create and drop databases in)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { adminUrl, machine, report, runMain, table, today } from './support.js';

const admin = adminUrl();
const name = `lcb_bench_${randomBytes(4).toString('hex')}`;

async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

async function measure(url: string, key: string) {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const started = performance.now();
  const res = await fetch(`${url}/api/leads/export?format=csv`, {
    headers: { authorization: `Bearer ${key}` },
  });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines++;
  }
  clearInterval(timer);
  global.gc?.();
  const retained = (process.memoryUsage().heapUsed - base.heapUsed) / 2 ** 20;
  return {
    heapRetainedMb: retained,
    rows: lines - 1,
    bytes,
    seconds: (performance.now() - started) / 1000,
    rssGrowthMb: (peakRss - base.rss) / 2 ** 20,
    heapGrowthMb: (peakHeap - base.heapUsed) / 2 ** 20,
  };
}

async function main() {
  await sql(admin, `create database ${name}`);
  const url = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
  const key = 'bench-key-0123456789abcdef';
  const app = await createApp(
    loadConfig({ DATABASE_URL: url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', API_KEYS: key }),
  );
  try {
    const seed = (n: number) =>
      sql(
        url,
        `insert into leads (id, name, email, state, classification, score, variants, question_order, snapshot,
                            created_at, updated_at, last_activity_at, features_interested, utm_source)
         select 'sess_' || md5(random()::text || g), 'Lead ' || g, 'lead' || g || '@example.com', 'completed',
                'SQL', 60 + g % 40, '{}', '[2,3,4,5,6]', '{}', now() - (g || ' seconds')::interval, now(), now(),
                '["Billing / Invoicing","QR Payments"]', 'bench'
           from generate_series(1, $1) g`,
        [n],
      );
    await seed(10_000);
    const small = await measure(app.url, key);
    await seed(90_000);
    const large = await measure(app.url, key);
    const ratio = large.rssGrowthMb / Math.max(1, small.rssGrowthMb);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    const line = (name: string, r: typeof small) => [
      name,
      r.rows,
      mb(r.bytes),
      r.seconds.toFixed(2),
      r.rssGrowthMb.toFixed(1),
      r.heapGrowthMb.toFixed(1),
      r.heapRetainedMb.toFixed(1),
    ];
    report(
      'export',
      { baseline10k: small, run100k: large, rssGrowthRatio: ratio },
      [
        `## export (${today()}, ${machine()})`,
        '',
        table(
          [
            'leads',
            'rows',
            'MB sent',
            'seconds',
            'peak RSS growth MB',
            'peak heap growth MB',
            'heap kept after GC MB',
          ],
          [line('10k (baseline)', small), line('100k', large)],
        ),
        '',
        `100k/10k peak RSS growth ratio: ${ratio.toFixed(2)} (10× the rows; ≈ 1 means memory does not grow with the export).`,
      ].join('\n'),
    );
  } finally {
    await app.close();
    await sql(admin, `drop database if exists ${name} with (force)`);
  }
}

runMain(main);
