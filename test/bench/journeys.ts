/**
 * Journeys benchmark: N concurrent visitors each run a whole journey over the socket (greeting, five
 * answers, contact, demo, CTA = 9 acknowledged events, each committed before its ack) against a real
 * server process; the load runs in this process. Its baseline in the same run is the bare socket.io
 * server that only acknowledges (the transport ceiling, shared with the ceilings scenario).
 *   npm run bench -- journeys     (BENCH_VISITORS, BENCH_JOURNEYS; COMMIT_GROUP_MS and the like reach the server)
 */
import {
  bareServer,
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
  today,
  usage,
  withDatabase,
  withServer,
} from './support.js';
import { type LoadResult, SOCKET_STEPS, socketJourneys } from './visitors.js';

const VISITORS = envNumber('BENCH_VISITORS', 64);
const JOURNEYS = envNumber('BENCH_JOURNEYS', 640);
/** Targets of the performance issue (2-core machine). */
const TARGET = { journeysPerSecond: 300, eventsPerSecond: 3000, p99: 50 };

const row = (name: string, r: LoadResult) => [
  name,
  f1(r.journeysPerSecond),
  f1(r.eventsPerSecond),
  f1(r.p50),
  f1(r.p95),
  f1(r.p99),
  r.failed,
];

/** Acknowledged events of a run. */
const events = (r: LoadResult) => Math.round(r.eventsPerSecond * r.seconds);

runMain(async () => {
  const bare = await bareServer('socket.io');
  const bareBefore = cpuSnapshot([bare.pid]);
  const ceiling = await socketJourneys(`${bare.url}/chat`, JOURNEYS, VISITORS);
  const bareBudget = cpuPerEvent(bareBefore, cpuSnapshot([bare.pid]), events(ceiling));
  await bare.close();

  await withDatabase((dbUrl) =>
    withServer({ DATABASE_URL: dbUrl }, async (server) => {
      await socketJourneys(`${server.url}/chat`, Math.min(64, JOURNEYS), VISITORS); // warm-up
      const before = cpuSnapshot([server.child.pid!]);
      const run = await socketJourneys(`${server.url}/chat`, JOURNEYS, VISITORS);
      const after = cpuSnapshot([server.child.pid!]);
      const budget = cpuPerEvent(before, after, events(run));
      const cpu = (after.server - before.server) / run.seconds;
      const rssMb = usage(server.child.pid!).rssMb;
      const ratioToCeiling = run.eventsPerSecond / ceiling.eventsPerSecond;
      const ofTarget = {
        journeys: run.journeysPerSecond / TARGET.journeysPerSecond,
        events: run.eventsPerSecond / TARGET.eventsPerSecond,
      };
      report(
        'journeys',
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
          `## journeys (${today()}, ${machine()}; ${VISITORS} concurrent visitors, ${JOURNEYS} journeys of ${SOCKET_STEPS.length} events)`,
          '',
          table(
            ['run', 'journeys/s', 'events/s', 'ack p50 ms', 'p95 ms', 'p99 ms', 'failed'],
            [
              row('bare socket.io, ack only (ceiling)', ceiling),
              row('lead-capture-bot, committed before ack', run),
            ],
          ),
          '',
          `Server: ${cpu.toFixed(2)} CPU cores busy, ${f1(rssMb)} MB RSS. Events/s against the ceiling: ${pct(ratioToCeiling)}.`,
          `Against the targets (${TARGET.journeysPerSecond} journeys/s, ${TARGET.eventsPerSecond} events/s, p99 < ${TARGET.p99} ms): ` +
            `${pct(ofTarget.journeys)} of the journeys, ${pct(ofTarget.events)} of the events, p99 ${f1(run.p99)} ms.`,
          '',
          "Where the CPU goes, per acknowledged event (each journey's connection and session start included; every",
          'PostgreSQL and Redis process of the machine counted):',
          '',
          `- lead-capture-bot: ${budgetLine(budget)}`,
          `- bare socket.io: ${budgetLine(bareBudget)}`,
        ].join('\n'),
      );
    }),
  );
});
