/**
 * REST journeys: the socket journey through the seed's REST endpoints (start, six answers, profile,
 * demo, CTA = 10 requests), N concurrent visitors on keep-alive connections, against a real server
 * process. Baseline in the same run: a bare Fastify server answering the same number of JSON POSTs
 * (the HTTP ceiling).
 *   npm run bench -- rest-journeys     (BENCH_REST_VISITORS, BENCH_REST_JOURNEYS)
 */
import {
  bareServer,
  benchTarget,
  budgetLine,
  cpuPerEvent,
  cpuSnapshot,
  envNumber,
  f1,
  machine,
  pct,
  report,
  runMain,
  table,
  targetsFromReport,
  today,
  usage,
  withDatabase,
  withServer,
} from './support.js';
import { bareRequests, loadRow, REST_STEPS, restJourneys } from './visitors.js';

const VISITORS = envNumber('BENCH_REST_VISITORS', 64);
const JOURNEYS = envNumber('BENCH_REST_JOURNEYS', 640);
/** The target: 5× the seed's ~30 journeys/s. */
const TARGET = 150;

runMain(async () => {
  const bare = await bareServer('http');
  await bareRequests(bare.url, Math.min(64, JOURNEYS), VISITORS); // warm-up
  const bareBefore = cpuSnapshot([bare.pid]);
  const ceiling = await bareRequests(bare.url, JOURNEYS, VISITORS);
  const bareBudget = cpuPerEvent(bareBefore, cpuSnapshot([bare.pid]), ceiling.events);
  await bare.close();

  await withDatabase((dbUrl) =>
    withServer({ DATABASE_URL: dbUrl }, async (server) => {
      await restJourneys(server.url, Math.min(64, JOURNEYS), VISITORS); // warm-up
      const before = cpuSnapshot([server.child.pid!]);
      const run = await restJourneys(server.url, JOURNEYS, VISITORS);
      const after = cpuSnapshot([server.child.pid!]);
      const budget = cpuPerEvent(before, after, run.events);
      const cpu = (after.server - before.server) / run.seconds;
      const rssMb = usage(server.child.pid!).rssMb;
      const ratioToCeiling = run.eventsPerSecond / ceiling.eventsPerSecond;
      const ofTarget = run.journeysPerSecond / TARGET;
      report(
        'rest-journeys',
        {
          visitors: VISITORS,
          ceiling,
          run,
          serverCpuCores: cpu,
          serverRssMb: rssMb,
          cpuBudget: budget,
          ceilingCpuBudget: bareBudget,
          ratioToCeiling,
          ofTarget,
        },
        [
          `## rest-journeys (${today()}, ${machine()}; ${VISITORS} concurrent visitors on keep-alive connections, ${JOURNEYS} journeys of ${REST_STEPS.length + 1} requests)`,
          '',
          table(
            ['run', 'journeys/s', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failed'],
            [
              loadRow('bare Fastify, JSON answer only (ceiling)', ceiling),
              loadRow('lead-capture-bot REST, committed before answer', run),
            ],
          ),
          '',
          `Server: ${cpu.toFixed(2)} CPU cores busy, ${f1(rssMb)} MB RSS. Requests/s against the ceiling: ${pct(ratioToCeiling)}. ` +
            `Journeys/s against the target of ${TARGET}: ${pct(ofTarget)}.`,
          '',
          'Where the CPU goes, per answered request (every PostgreSQL and Redis process of the machine counted):',
          '',
          `- lead-capture-bot: ${budgetLine(budget, 'request')}`,
          `- bare Fastify: ${budgetLine(bareBudget, 'request')}`,
        ].join('\n'),
      );
    }),
  );
});

// The performance target this run measures (the summary table of `npm run bench`).
targetsFromReport((r) => [
  benchTarget('REST requests/s against bare Fastify', r.ratioToCeiling, 'least', 0.4, pct),
]);
