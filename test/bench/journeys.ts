/**
 * Journeys benchmark: N concurrent visitors each run a whole journey over the socket (greeting, five
 * answers, contact, demo, CTA = 9 acknowledged events, each committed before its ack) against real
 * server processes; the load runs in this process. Its baseline in the same run is the bare socket.io
 * server that only acknowledges (the transport ceiling, shared with the ceilings scenario).
 *
 * The server runs three ways: one process on its own (in-process adapter, the no-Redis default), one
 * process with Redis (the production setup of a cluster node) and two processes with Redis on this same
 * machine, the visitors spread over them; the two processes also run with the cache coherence off and
 * with a version read before every event. Each run reports where the machine's CPU went per event, and
 * how many rows the database stored per acknowledged event (every table counted before and after).
 * The visitors speak chat protocol 2, as the widget does: the bot's reply comes in the ack.
 *   npm run bench -- journeys     (BENCH_VISITORS, BENCH_JOURNEYS; COMMIT_GROUP_MS and the like reach the server)
 */
import { randomBytes } from 'node:crypto';
import { rowsLine, rowsPerEvent, storedRows } from './stored-rows.js';
import {
  bareServer,
  benchTarget,
  budgetLine,
  cpuPerEvent,
  cpuSnapshot,
  envNumber,
  f1,
  machine,
  type NodeProcess,
  pct,
  redisUrl,
  report,
  runMain,
  startServer,
  table,
  targetsFromReport,
  today,
  usage,
  withDatabase,
} from './support.js';
import { loadRow, SOCKET_STEPS, socketJourneys } from './visitors.js';

const VISITORS = envNumber('BENCH_VISITORS', 64);
const JOURNEYS = envNumber('BENCH_JOURNEYS', 640);
/** Targets of the performance issue (2-core machine). */
const TARGET = { journeysPerSecond: 300, eventsPerSecond: 3000, p99: 50 };

/**
 * One measured run against some server processes: the load, and the CPU every part spent (PostgreSQL:
 * its shared processes and the backends of `database`, none for a server without one).
 */
async function measure(urls: string[], pids: number[], database: string | null) {
  const chat = urls.map((u) => `${u}/chat`);
  const before = cpuSnapshot(pids, database);
  const run = await socketJourneys(chat, JOURNEYS, VISITORS);
  const after = cpuSnapshot(pids, database);
  return {
    run,
    budget: cpuPerEvent(before, after, run.events),
    serverCpuCores: (after.server - before.server) / run.seconds,
    serverRssMb: pids.reduce((sum, pid) => sum + usage(pid).rssMb, 0),
  };
}

/**
 * `count` server processes on a database of their own (with Redis when `redis`, and `extra` in their
 * environment), warmed up, then measured.
 */
function serverRun(count: number, redis: boolean, extra: Record<string, string> = {}) {
  return withDatabase(async (dbUrl) => {
    const env: Record<string, string> = { DATABASE_URL: dbUrl, ...extra };
    if (redis)
      Object.assign(env, {
        REDIS_URL: redisUrl(),
        REDIS_PREFIX: `lcbbench${randomBytes(4).toString('hex')}`,
      });
    const nodes: NodeProcess[] = [];
    try {
      for (let i = 0; i < count; i++) nodes.push(await startServer(env, `bench-node-${i}`));
      const urls = nodes.map((n) => n.url);
      await socketJourneys(
        urls.map((u) => `${u}/chat`),
        Math.min(64 * count, JOURNEYS),
        VISITORS,
      ); // warm-up
      const before = await storedRows(dbUrl);
      const measured = await measure(
        urls,
        nodes.map((n) => n.child.pid!),
        new URL(dbUrl).pathname.slice(1),
      );
      return { ...measured, rows: rowsPerEvent(before, await storedRows(dbUrl), measured.run.events) };
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
}

runMain(async () => {
  const bare = await bareServer('socket.io');
  const ceiling = await measure([bare.url], [bare.pid], null);
  await bare.close();

  const single = await serverRun(1, false);
  const withRedis = await serverRun(1, true);
  const two = await serverRun(2, true);
  // What keeping the nodes' caches coherent costs: the default (bus eviction, resume check) and a
  // version read before every event, against neither.
  const incoherent = await serverRun(2, true, { SESSION_CACHE_COHERENCE: 'off' });
  const readEvery = await serverRun(2, true, { SESSION_CACHE_COHERENCE: 'read' });
  const runs = [
    { name: 'lead-capture-bot, committed before ack', ...single },
    { name: 'the same with Redis (cluster node)', ...withRedis },
    { name: 'two processes with Redis, visitors split', ...two },
    { name: 'the same, cache coherence off', ...incoherent },
    { name: 'the same, stored version read before every event', ...readEvery },
  ];
  // Events/s move with the machine's other load; the CPU each event costs is the steadier measure.
  const serverAndDb = (r: typeof two) => r.budget.ms.server + r.budget.ms.postgres;
  const coherence = {
    bus: two.run.eventsPerSecond / incoherent.run.eventsPerSecond,
    read: readEvery.run.eventsPerSecond / incoherent.run.eventsPerSecond,
    busCpu: serverAndDb(two) / serverAndDb(incoherent),
    readCpu: serverAndDb(readEvery) / serverAndDb(incoherent),
  };
  const best = runs.reduce((a, b) => (b.run.eventsPerSecond > a.run.eventsPerSecond ? b : a));
  const ratioToCeiling = single.run.eventsPerSecond / ceiling.run.eventsPerSecond;
  const ofTarget = {
    journeys: best.run.journeysPerSecond / TARGET.journeysPerSecond,
    events: best.run.eventsPerSecond / TARGET.eventsPerSecond,
  };
  report(
    'journeys',
    {
      visitors: VISITORS,
      ceiling: ceiling.run,
      ceilingCpuBudget: ceiling.budget,
      run: single.run,
      serverCpuCores: single.serverCpuCores,
      serverRssMb: single.serverRssMb,
      cpuBudget: single.budget,
      rowsPerEvent: single.rows,
      withRedis,
      twoProcesses: two,
      coherence,
      ratioToCeiling,
      ofTarget,
    },
    [
      `## journeys (${today()}, ${machine()}; ${VISITORS} concurrent visitors, ${JOURNEYS} journeys of ${SOCKET_STEPS.length} events)`,
      '',
      table(
        ['run', 'journeys/s', 'events/s', 'ack p50 ms', 'p95 ms', 'p99 ms', 'failed', 'server cores'],
        [
          [...loadRow('bare socket.io, ack only (ceiling)', ceiling.run), ceiling.serverCpuCores.toFixed(2)],
          ...runs.map((r) => [...loadRow(r.name, r.run), r.serverCpuCores.toFixed(2)]),
        ],
      ),
      '',
      `Server RSS: ${f1(single.serverRssMb)} MB. Events/s against the ceiling (one process, no Redis): ${pct(ratioToCeiling)}; ` +
        `two processes against one, both with Redis: ${(two.run.eventsPerSecond / withRedis.run.eventsPerSecond).toFixed(2)}×.`,
      `Stored rows per acknowledged event (one process): ${rowsLine(single.rows)}; the lead's own row is ` +
        'updated by every event besides.',
      `Cache coherence on two processes, against the run without it: the default (bus eviction and a version ` +
        `check on resume) ${coherence.bus.toFixed(2)}× the events/s at ${coherence.busCpu.toFixed(2)}× the server and ` +
        `PostgreSQL CPU per event; a version read before every event ${coherence.read.toFixed(2)}× the events/s at ` +
        `${coherence.readCpu.toFixed(2)}× the CPU.`,
      `Against the targets (${TARGET.journeysPerSecond} journeys/s, ${TARGET.eventsPerSecond} events/s, p99 < ${TARGET.p99} ms), best run: ` +
        `${pct(ofTarget.journeys)} of the journeys, ${pct(ofTarget.events)} of the events, p99 ${f1(best.run.p99)} ms.`,
      '',
      "Where the CPU goes, per acknowledged event (each journey's connection and session start included;",
      "PostgreSQL's shared processes and the backends of the run's own database counted, every Redis process):",
      '',
      `- bare socket.io: ${budgetLine(ceiling.budget)}`,
      ...runs.map((r) => `- ${r.name}: ${budgetLine(r.budget)}`),
    ].join('\n'),
  );
});

// The performance targets this run measures (the summary table of `npm run bench`).
targetsFromReport((r) => [
  benchTarget(
    'socket journeys/s against bare socket.io',
    r.run.journeysPerSecond / r.ceiling.journeysPerSecond,
    'least',
    0.7,
    pct,
  ),
  benchTarget(`ack p99 at ${r.visitors} visitors (ms)`, r.run.p99, 'most', 50, f1),
  benchTarget('server CPU ms per event', r.cpuBudget.ms.server, 'most', 0.4),
  benchTarget('PostgreSQL CPU ms per event', r.cpuBudget.ms.postgres, 'most', 0.2),
  ...(typeof r.rowsPerEvent === 'number'
    ? [benchTarget('stored rows per event', r.rowsPerEvent, 'most', 3)]
    : []),
]);
