/**
 * Journeys benchmark: N concurrent visitors each run a whole journey over the socket (greeting, five
 * answers, contact, demo, CTA = 9 acknowledged events, each committed before its ack) against a real
 * server process; the load runs in this process. The baseline, measured in the same run, is a bare
 * socket.io server that only acknowledges: the transport's ceiling for the same number of emits.
 *   DATABASE_URL=postgres://… npm run bench -- journeys
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../src/config.js';

const VISITORS = Number(process.env.BENCH_VISITORS ?? 64);
const JOURNEYS = Number(process.env.BENCH_JOURNEYS ?? 640);
const STEPS: [string, Record<string, unknown>][] = [
  ['visitor:reply', { optionIds: ['yes'] }],
  ['visitor:reply', { optionIds: ['kirana_retail'] }],
  ['visitor:reply', { text: 'Indore, Madhya Pradesh' }],
  ['visitor:reply', { optionIds: ['two_to_five'] }],
  ['visitor:reply', { optionIds: ['50k_2l'] }],
  ['visitor:reply', { optionIds: ['billing', 'inventory'] }],
  ['visitor:contact', { name: 'Bench', phone: '98765 43210' }],
  ['visitor:action', { action: 'clicked_demo' }],
  ['visitor:reply', { optionIds: ['talk_to_sales'] }],
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** CPU seconds and RSS of a process, from /proc. */
function usage(pid: number): { cpu: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(stat[21]);
  return { cpu: ticks / 100, rssMb: (rssPages * 4096) / 2 ** 20 };
}

async function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Runs `total` journeys with `VISITORS` at a time; every emit waits for its ack. */
async function load(url: string, total: number, onEach?: (socket: Socket) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next += 1;
      const socket = await connect(url);
      await onEach?.(socket);
      for (const [event, payload] of STEPS) {
        const t0 = performance.now();
        const ack = await socket
          .timeout(30_000)
          .emitWithAck(event, { clientMessageId: randomBytes(6).toString('hex'), ...payload });
        latencies.push(performance.now() - t0);
        if (!ack?.ok) failed += 1;
      }
      socket.close();
    }
  };
  await Promise.all(Array.from({ length: VISITORS }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    journeys: total,
    seconds,
    journeysPerSecond: total / seconds,
    eventsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    failed,
  };
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const m = /"url":"(http:[^"]+)","database"/.exec(buffer);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url };
}

async function main() {
  const admin = loadConfig().database.url ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `lcb_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  const dbUrl = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();

  // Baseline: a bare socket.io server that only acknowledges, in the same run.
  const http = createServer();
  const bare = new Server(http);
  bare.on('connection', (s) => s.onAny((_e, _p, ack) => typeof ack === 'function' && ack({ ok: true })));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const bareUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  const ceiling = await load(bareUrl, JOURNEYS);
  bare.close();

  const server = await startServer({
    DATABASE_URL: dbUrl,
    RATE_LIMIT_PER_MINUTE: '1000000',
    SOCKET_EVENTS_PER_SECOND: '1000',
    SOCKET_EVENT_BURST: '1000',
    // Group commit on or off for the run (see COMMIT_GROUP_MS in the README).
    COMMIT_GROUP_MS: process.env.COMMIT_GROUP_MS ?? '0',
  });
  try {
    await load(`${server.url}/chat`, Math.min(64, JOURNEYS)); // warm-up
    const before = usage(server.child.pid!);
    const run = await load(`${server.url}/chat`, JOURNEYS);
    const after = usage(server.child.pid!);
    const cpu = (after.cpu - before.cpu) / run.seconds;
    const row = {
      scenario: 'journeys',
      visitors: VISITORS,
      ceiling,
      run,
      serverCpuCores: cpu,
      serverRssMb: after.rssMb,
      ratioToCeiling: run.eventsPerSecond / ceiling.eventsPerSecond,
    };
    console.log(JSON.stringify(row));
    const f = (n: number) => n.toFixed(1);
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const table = [
      '',
      `## journeys (${new Date().toISOString().slice(0, 10)}, ${machine}; ${VISITORS} concurrent visitors, ${JOURNEYS} journeys of ${STEPS.length} events)`,
      '',
      '| run | journeys/s | events/s | ack p50 ms | p95 ms | p99 ms | failed |',
      '|---|---|---|---|---|---|---|',
      `| bare socket.io, ack only (ceiling) | ${f(ceiling.journeysPerSecond)} | ${f(ceiling.eventsPerSecond)} | ${f(ceiling.p50)} | ${f(ceiling.p95)} | ${f(ceiling.p99)} | ${ceiling.failed} |`,
      `| lead-capture-bot, committed before ack | ${f(run.journeysPerSecond)} | ${f(run.eventsPerSecond)} | ${f(run.p50)} | ${f(run.p95)} | ${f(run.p99)} | ${run.failed} |`,
      '',
      `Server: ${cpu.toFixed(2)} CPU cores busy, ${f(after.rssMb)} MB RSS. Events/s against the ceiling: ${(100 * row.ratioToCeiling).toFixed(1)} %.`,
      '',
    ].join('\n');
    console.log(table);
    if (process.env.BENCH_WRITE_RESULTS) appendFileSync('test/bench/RESULTS.md', table);
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
