/**
 * Export memory benchmark: streams GET /api/leads/export?format=csv for 10k and then 100k leads from an
 * in-process server and samples the process RSS and heap while it runs. Constant memory shows as a
 * 100k/10k ratio of the peak growth near 1 (the 10k run is the baseline measured in the same run).
 *   DATABASE_URL=postgres://… npm run bench   (a database it may create and drop databases in)
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const admin = loadConfig().database.url ?? 'postgres://postgres@127.0.0.1:5432/postgres';
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
    const row = { scenario: 'export', baseline10k: small, run100k: large, rssGrowthRatio: ratio };
    console.log(JSON.stringify(row));
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const table = [
      '',
      `## export (${new Date().toISOString().slice(0, 10)}, ${machine})`,
      '',
      '| leads | rows | MB sent | seconds | peak RSS growth MB | peak heap growth MB | heap kept after GC MB |',
      '|---|---|---|---|---|---|---|',
      `| 10k (baseline) | ${small.rows} | ${(small.bytes / 2 ** 20).toFixed(1)} | ${small.seconds.toFixed(2)} | ${small.rssGrowthMb.toFixed(1)} | ${small.heapGrowthMb.toFixed(1)} | ${small.heapRetainedMb.toFixed(1)} |`,
      `| 100k | ${large.rows} | ${(large.bytes / 2 ** 20).toFixed(1)} | ${large.seconds.toFixed(2)} | ${large.rssGrowthMb.toFixed(1)} | ${large.heapGrowthMb.toFixed(1)} | ${large.heapRetainedMb.toFixed(1)} |`,
      '',
      `100k/10k peak RSS growth ratio: ${ratio.toFixed(2)} (10× the rows; ≈ 1 means memory does not grow with the export).`,
      '',
    ].join('\n');
    console.log(table);
    if (process.env.BENCH_WRITE_RESULTS) appendFileSync('test/bench/RESULTS.md', table);
  } finally {
    await app.close();
    await sql(admin, `drop database if exists ${name} with (force)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
