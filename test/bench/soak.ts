/**
 * Soak benchmark: a steady churn of visitors (connect, a short journey, disconnect) against a real
 * server process for SOAK_MINUTES, sampling the server every SOAK_SAMPLE_SECONDS: heap after a full GC,
 * RSS, open file descriptors and PostgreSQL connections. After a warm-up (the first 20 % of the run)
 * each must grow less than 5 % from the first sample after the warm-up to the last.
 *   DATABASE_URL=postgres://… SOAK_MINUTES=30 SOAK_RATE=10 npm run bench:soak
 *
 * The heap is read without any server code: the server is started with --expose-gc and a preload that,
 * on SIGUSR2, runs a full GC and writes process.memoryUsage() to stderr on one marked line.
 * The actor cache is bounded (SESSION_CACHE_SIZE, default here 1000) so it fills during the warm-up and
 * the measured window shows leaks, not the cache filling up to its production limit.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../support/cluster.js';
import { JOURNEY } from '../support/journey.js';
import { sleep } from '../support/time.js';
import { MEMORY_MARK, MEMORY_PROBE } from './support.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_RATE ?? 10); // new visitors per second
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 30);
const CACHE_SIZE = process.env.SOAK_SESSION_CACHE_SIZE ?? '1000';
const MAX_IN_FLIGHT = Number(process.env.SOAK_MAX_IN_FLIGHT ?? Math.max(50, RATE * 20));
const WARM_UP = 0.2;
const WINDOW = 3;
const LIMIT = 0.05;
const MARK = MEMORY_MARK;

const STEPS = JOURNEY;

/** Preloaded into the server: SIGUSR2 → full GC → one marked line with process.memoryUsage() on stderr. */
const PROBE = MEMORY_PROBE;

interface Sample {
  minute: number;
  heapMb: number;
  rssMb: number;
  fds: number;
  pgConnections: number;
  visitors: number;
  events: number;
  failed: number;
  /** Visitors in flight when the sample was due (it is taken once they are done). */
  inFlight: number;
}

async function startServer(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--import', PROBE, 'src/main.ts'],
    {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let waiting: ((heap: number) => void) | undefined;
  let errBuffer = '';
  child.stderr!.on('data', (c: Buffer) => {
    errBuffer += c.toString();
    const lines = errBuffer.split('\n');
    errBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(MARK))
        waiting?.((JSON.parse(line.slice(MARK.length)) as { heapUsed: number }).heapUsed);
      else process.stderr.write(`server: ${line}\n`);
    }
  });
  child.stdout!.resume();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`))),
  );
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ),
      exited,
    ]);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('server did not become healthy');
    await sleep(200);
  }
  const heapAfterGc = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no memory line from the server')), 30_000);
      waiting = (heap) => {
        clearTimeout(timer);
        waiting = undefined;
        resolve(heap);
      };
      child.kill('SIGUSR2');
    });
  return { child, url, heapAfterGc };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** One visitor: connect, the first `steps` events of the journey (each waits for its ack), disconnect. */
async function visit(url: string, steps: number, counts: { events: number; failed: number }) {
  let socket: Socket | undefined;
  try {
    socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket!.once('session', () => resolve());
      socket!.once('connect_error', reject);
    });
    for (const [event, payload] of STEPS.slice(0, steps)) {
      const ack = await socket
        .timeout(30_000)
        .emitWithAck(event, { clientMessageId: randomBytes(6).toString('hex'), ...payload });
      if (ack?.ok) counts.events += 1;
      else counts.failed += 1;
    }
  } catch {
    counts.failed += 1;
  } finally {
    socket?.close();
  }
}

const growth = (first: number, last: number) => (first === 0 ? (last === 0 ? 0 : 1) : (last - first) / first);

async function main() {
  const admin = loadConfig().database.url ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `lcb_soak_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  const dbUrl = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
  const server = await startServer({
    DATABASE_URL: dbUrl,
    SESSION_CACHE_SIZE: CACHE_SIZE,
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Every visitor runs the fixed JOURNEY: the built-in experiments would reorder its questions.
    AB_TESTING_ENABLED: 'false',
  });
  const pid = server.child.pid!;
  const chatUrl = `${server.url}/chat`;
  const counts = { events: 0, failed: 0 };
  let visitors = 0;
  let skipped = 0;
  const inFlight = new Set<Promise<void>>();
  const samples: Sample[] = [];
  const started = Date.now();
  const end = started + MINUTES * 60_000;

  const sample = async (busy: number) => {
    const heap = await server.heapAfterGc();
    const [{ n }] = (
      await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name])
    ).rows as [{ n: number }];
    const s: Sample = {
      minute: (Date.now() - started) / 60_000,
      heapMb: heap / 2 ** 20,
      rssMb: rssMb(pid),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      pgConnections: n,
      visitors,
      events: counts.events,
      failed: counts.failed,
      inFlight: busy,
    };
    samples.push(s);
    console.error(JSON.stringify({ sample: s }));
  };

  try {
    await sample(0);
    const spawnEvery = 1000 / RATE;
    let nextSpawn = Date.now();
    let nextSample = Date.now() + SAMPLE_SECONDS * 1000;
    while (Date.now() < end) {
      const now = Date.now();
      while (nextSpawn <= now) {
        nextSpawn += spawnEvery;
        if (inFlight.size >= MAX_IN_FLIGHT) {
          skipped += 1;
          continue;
        }
        visitors += 1;
        const p = visit(chatUrl, 3 + (visitors % (STEPS.length - 2)), counts).finally(() =>
          inFlight.delete(p),
        );
        inFlight.add(p);
      }
      if (now >= nextSample) {
        // Quiesce before each sample: no new visitors until those in flight are done, so every sample
        // sees the server between conversations (no client sockets, no transactions open).
        const busy = inFlight.size;
        await Promise.race([Promise.all(inFlight), sleep(60_000)]);
        await sample(busy);
        nextSample = Date.now() + SAMPLE_SECONDS * 1000;
        nextSpawn = Date.now();
      }
      await sleep(Math.max(1, Math.min(nextSpawn, nextSample) - Date.now()));
    }
    const busy = inFlight.size;
    await Promise.all(inFlight);
    await sample(busy);
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  }

  const pass = report(samples, { visitors, skipped, ...counts });
  process.exitCode = pass ? 0 : 2;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Growth of each measure after the warm-up, two ways: first sample after the warm-up → last sample,
 * and median of the first WINDOW samples after the warm-up → median of the last WINDOW. Single samples
 * of small counts (some 30 descriptors, a pool between its minimum and maximum) move by more than 5 %
 * between neighbours, so the pass criterion is the windowed growth; both are printed.
 */
function report(
  samples: Sample[],
  run: { visitors: number; skipped: number; events: number; failed: number },
) {
  const minutes = Math.round(samples.at(-1)!.minute);
  const measured = samples.filter((s) => s.minute >= minutes * WARM_UP);
  const first = measured[0] ?? samples[0]!;
  const last = samples.at(-1)!;
  const head = measured.slice(0, WINDOW);
  const tail = measured.slice(-WINDOW);
  const keys = ['heapMb', 'rssMb', 'fds', 'pgConnections'] as const;
  type Key = (typeof keys)[number];
  const rows = keys.map((k) => {
    const from = median(head.map((s) => s[k]));
    const to = median(tail.map((s) => s[k]));
    return {
      k,
      single: growth(first[k], last[k]),
      from,
      to,
      windowed: growth(from, to),
      max: Math.max(...measured.map((s) => s[k])),
    };
  });
  const pass = rows.every((r) => r.windowed < LIMIT);
  console.log(
    JSON.stringify({
      scenario: 'soak',
      minutes,
      rate: RATE,
      ...run,
      first,
      last,
      growths: Object.fromEntries(rows.map((r) => [r.k, { single: r.single, windowed: r.windowed }])),
      pass,
    }),
  );
  const f = (n: number) => n.toFixed(1);
  const pct = (n: number) => `${(100 * n).toFixed(1)} %`;
  const names: Record<Key, string> = {
    heapMb: 'heap after GC MB',
    rssMb: 'RSS MB',
    fds: 'open file descriptors',
    pgConnections: 'PostgreSQL connections',
  };
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const table = [
    `## soak (${new Date().toISOString().slice(0, 10)}, ${machine}; ${minutes} min, ${RATE} new visitors/s, each 3–9 events then disconnect; SESSION_CACHE_SIZE ${CACHE_SIZE})`,
    '',
    `${run.visitors} visitors, ${run.events} events acknowledged, ${run.failed} failed, ${run.skipped} visitors skipped (over ${MAX_IN_FLIGHT} in flight). One sample every ${SAMPLE_SECONDS} s, taken once the visitors then in flight have finished (new ones wait), so each sees the server between conversations. Warm-up: the first ${WARM_UP * 100} % (to minute ${f(minutes * WARM_UP)}). Growth: median of the first ${WINDOW} samples after the warm-up → median of the last ${WINDOW} (pass criterion < 5 %); and first sample after the warm-up (minute ${f(first.minute)}) → last (minute ${f(last.minute)}).`,
    '',
    '| measure | after warm-up (median) | end (median) | growth | pass (< 5 %) | first → last sample | growth | max after warm-up |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${names[r.k]} | ${f(r.from)} | ${f(r.to)} | ${pct(r.windowed)} | ${r.windowed < LIMIT ? 'yes' : 'no'} | ${f(first[r.k])} → ${f(last[r.k])} | ${pct(r.single)} | ${f(r.max)} |`,
    ),
    '',
    `Overall: ${pass ? 'pass' : 'FAIL'}.`,
    '',
  ].join('\n');
  console.log(table);
  const every = Math.max(1, Math.round(samples.length / 12));
  const all = [
    '| minute | heap after GC MB | RSS MB | fds | pg connections | visitors | events | failed | in flight when due |',
    '|---|---|---|---|---|---|---|---|---|',
    ...samples
      .filter((_, i) => i % every === 0 || i === samples.length - 1)
      .map(
        (s) =>
          `| ${f(s.minute)} | ${f(s.heapMb)} | ${f(s.rssMb)} | ${s.fds} | ${s.pgConnections} | ${s.visitors} | ${s.events} | ${s.failed} | ${s.inFlight} |`,
      ),
  ].join('\n');
  console.log(all);
  return pass;
}

/** Renders the report again from the `{"sample": …}` lines a run wrote to stderr. */
function reportFrom(file: string) {
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"sample"'))
    .map((l) => (JSON.parse(l) as { sample: Sample }).sample);
  const last = samples.at(-1)!;
  report(samples, {
    visitors: last.visitors,
    skipped: Number(process.env.SOAK_SKIPPED ?? 0),
    events: last.events,
    failed: last.failed,
  });
}

if (process.env.SOAK_REPORT_FROM) reportFrom(process.env.SOAK_REPORT_FROM);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
