/**
 * Idle visitors: N connected visitors on websocket, each with a live session (the handshake starts the
 * session and its actor; beyond RUNNING_ACTORS the least recently used actors are parked as snapshots),
 * held open from 2–4 client processes. Server RSS (/proc) and heap after a full GC
 * before and after, per visitor. Baseline in the same run: the same N connections to a bare socket.io
 * server (the transport's own cost per connection).
 *   npm run bench -- idle     (BENCH_IDLE_VISITORS, BENCH_IDLE_PROCESSES)
 */
import type { ChildProcess } from 'node:child_process';
import { sleep } from '../support/time.js';
import {
  bareServer,
  benchTarget,
  envNumber,
  f1,
  MEMORY_PROBE,
  machine,
  memoryAfterGc,
  report,
  runMain,
  scrape,
  spawnTs,
  table,
  targetsFromReport,
  today,
  usage,
  withDatabase,
  withServer,
} from './support.js';

const VISITORS = envNumber('BENCH_IDLE_VISITORS', 10_000);
const PROCESSES = envNumber('BENCH_IDLE_PROCESSES', 4);
/** The target at 10,000 visitors. */
const TARGET_KB = 25;
const SETTLE_MS = 3000;

interface Ready {
  ready: number;
  failed: number;
  seconds: number;
}

/** Opens `VISITORS` connections to `url` from `PROCESSES` children; resolves once all are up. */
async function connectAll(url: string): Promise<{ children: ChildProcess[]; ready: Ready }> {
  const children = Array.from({ length: PROCESSES }, (_, i) =>
    spawnTs('test/bench/clients.ts', [], {
      CLIENTS_URL: url,
      CLIENTS: String(Math.floor(VISITORS / PROCESSES) + (i < VISITORS % PROCESSES ? 1 : 0)),
    }),
  );
  const replies = await Promise.all(
    children.map(
      (c) =>
        new Promise<Ready>((resolve, reject) => {
          c.once('message', (m) => resolve(m as Ready));
          c.once('exit', (code) => reject(new Error(`client process exited with ${code}`)));
        }),
    ),
  );
  return {
    children,
    ready: {
      ready: replies.reduce((s, r) => s + r.ready, 0),
      failed: replies.reduce((s, r) => s + r.failed, 0),
      seconds: Math.max(...replies.map((r) => r.seconds)),
    },
  };
}

async function closeAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.send('close');
        }),
    ),
  );
}

const kb = (bytes: number, n: number) => bytes / 1024 / Math.max(1, n);

runMain(async () => {
  // Baseline: the transport alone.
  const bare = await bareServer('socket.io');
  const bareHeap = () =>
    new Promise<number>((resolve) => {
      bare.child.once('message', (m) => resolve((m as NodeJS.MemoryUsage).heapUsed));
      bare.child.send('memory');
    });
  await sleep(SETTLE_MS);
  const bareBefore = { rss: usage(bare.pid).rssMb * 2 ** 20, heap: await bareHeap() };
  const bareRun = await connectAll(`${bare.url}/chat`);
  await sleep(SETTLE_MS);
  const bareAfter = { rss: usage(bare.pid).rssMb * 2 ** 20, heap: await bareHeap() };
  await closeAll(bareRun.children);
  await bare.close();
  const transport = {
    ...bareRun.ready,
    rssKbPerVisitor: kb(bareAfter.rss - bareBefore.rss, bareRun.ready.ready),
    heapKbPerVisitor: kb(bareAfter.heap - bareBefore.heap, bareRun.ready.ready),
  };

  const server = await withDatabase((dbUrl) =>
    // The probe reads the heap after a full GC (RSS stays what /proc says).
    withServer({ DATABASE_URL: dbUrl, NODE_OPTIONS: `--import=${MEMORY_PROBE}` }, async (s) => {
      await sleep(SETTLE_MS);
      // RSS first, then the heap after GC: the same order as for the bare server above.
      const rssBefore = usage(s.child.pid!).rssMb * 2 ** 20;
      const heapBefore = (await memoryAfterGc(s.child)).heapUsed;
      const run = await connectAll(`${s.url}/chat`);
      await sleep(SETTLE_MS);
      const after = await scrape(s.url);
      const rssAfter = usage(s.child.pid!).rssMb * 2 ** 20;
      const heapAfter = (await memoryAfterGc(s.child)).heapUsed;
      await closeAll(run.children);
      return {
        ...run.ready,
        connections: after.lcb_socket_connections ?? 0,
        rssMbAfter: rssAfter / 2 ** 20,
        rssKbPerVisitor: kb(rssAfter - rssBefore, run.ready.ready),
        heapKbPerVisitor: kb(heapAfter - heapBefore, run.ready.ready),
      };
    }),
  );
  const ratio = server.rssKbPerVisitor / transport.rssKbPerVisitor;
  const row = (name: string, r: typeof transport, connections: number | string) => [
    name,
    r.ready,
    r.failed,
    connections,
    f1(r.ready / r.seconds),
    f1(r.rssKbPerVisitor),
    f1(r.heapKbPerVisitor),
  ];
  report(
    'idle',
    {
      visitors: VISITORS,
      processes: PROCESSES,
      transport,
      server,
      ratio,
      ofTarget: server.rssKbPerVisitor / TARGET_KB,
    },
    [
      `## idle (${today()}, ${machine()}; ${VISITORS} websocket visitors from ${PROCESSES} client processes, measured ${SETTLE_MS / 1000} s after the last handshake)`,
      '',
      table(
        [
          'server',
          'connected',
          'failed',
          'server says connected',
          'handshakes/s',
          'RSS KB per visitor',
          'heap KB per visitor after GC',
        ],
        [
          row('bare socket.io (transport only)', transport, '—'),
          row('lead-capture-bot, live session each (actor parked as a snapshot)', server, server.connections),
        ],
      ),
      '',
      `Server RSS with everyone connected: ${f1(server.rssMbAfter)} MB. RSS per visitor against the transport's: ${ratio.toFixed(2)}×; ` +
        `against the target of ${TARGET_KB} KB: ${f1(server.rssKbPerVisitor)} / ${TARGET_KB} = ${(server.rssKbPerVisitor / TARGET_KB).toFixed(2)}.`,
    ].join('\n'),
  );
});

// The performance target this run measures (the summary table of `npm run bench`).
targetsFromReport((r) => [
  benchTarget(`idle RSS per visitor at ${r.visitors} (KB)`, r.server.rssKbPerVisitor, 'most', 16, f1),
]);
