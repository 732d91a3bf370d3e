/**
 * Ceilings: how close the journeys come to what the transport and the storage allow on this machine.
 * In the same run: the journeys themselves (socket, committed before ack), the transport ceiling (the
 * same number of acked emits against a bare socket.io server that only acks) and the storage ceiling
 * (the rows those journeys wrote — leads, session_events, score_entries, answers, every lead update —
 * written again with raw multi-row `pg` statements in batches of 100, with the CPU PostgreSQL spent on
 * them). The transport is also measured on connections kept open, with one and with many emits in
 * flight: what socket.io allows when visitors neither connect per journey nor wait for each ack.
 *   npm run bench -- ceilings     (BENCH_VISITORS, BENCH_JOURNEYS, BENCH_STORAGE_BATCH, BENCH_STORAGE_CONNECTIONS)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  bareServer,
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
  withDatabase,
  withServer,
} from './support.js';
import { pipelinedEmits, SOCKET_STEPS, socketJourneys } from './visitors.js';

const VISITORS = envNumber('BENCH_VISITORS', 64);
const JOURNEYS = envNumber('BENCH_JOURNEYS', 640);
const BATCH = envNumber('BENCH_STORAGE_BATCH', 100);
const CONNECTIONS = envNumber('BENCH_STORAGE_CONNECTIONS', 4);

type Row = Record<string, unknown>;

/** A value as a bind parameter: jsonb comes back parsed and goes in as text. */
const param = (v: unknown) =>
  v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v;

/** Runs the statements `CONNECTIONS` at a time; the rows they touched. */
async function inParallel(pool: pg.Pool, statements: [string, unknown[]][]): Promise<number> {
  let next = 0;
  let rows = 0;
  const worker = async () => {
    while (next < statements.length) {
      const [text, values] = statements[next++]!;
      const result = await pool.query(text, values);
      rows += result.rowCount ?? 0;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return rows;
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/** Multi-row inserts of `rows` into `table`, `BATCH` rows a statement. */
function inserts(table: string, columns: string[], rows: Row[]): [string, unknown[]][] {
  return chunks(rows, BATCH).map((batch) => {
    const values: unknown[] = [];
    const tuples = batch.map(
      (r) => `(${columns.map((c) => values.push(param(r[c])) && `$${values.length}`).join(', ')})`,
    );
    return [
      `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`,
      values,
    ];
  });
}

/** Writes the journeys' rows again under new lead ids with raw statements; rows per second. */
async function storageCeiling(dbUrl: string) {
  const pool = new pg.Pool({ connectionString: dbUrl, max: CONNECTIONS });
  try {
    const leads = (await pool.query<Row>('select * from leads')).rows;
    const ids = new Map(leads.map((l) => [l.id as string, `sess_${randomBytes(16).toString('hex')}`]));
    const leadColumns = Object.keys(leads[0] ?? {});
    // Every table that hangs off a lead, with its rows (serial ids left to the database).
    const tables = (
      await pool.query<{ table_name: string }>(
        `select table_name from information_schema.columns
          where table_schema = 'public' and column_name = 'lead_id' order by table_name`,
      )
    ).rows.map((r) => r.table_name);
    const children: { table: string; columns: string[]; rows: Row[] }[] = [];
    for (const t of tables) {
      const rows = (await pool.query<Row>(`select * from "${t}"`)).rows;
      if (rows.length === 0) continue;
      const serial = (
        await pool.query<{ column_name: string }>(
          `select column_name from information_schema.columns
            where table_schema = 'public' and table_name = $1 and column_default like 'nextval%'`,
          [t],
        )
      ).rows.map((r) => r.column_name);
      const columns = Object.keys(rows[0]!).filter((c) => !serial.includes(c));
      children.push({
        table: t,
        columns,
        rows: rows.map((r) => ({ ...r, lead_id: ids.get(r.lead_id as string) })),
      });
    }
    // Each commit updated its lead once (the version counts them): as many updates, round by round
    // (a round touches each lead at most once, so its batches run side by side without deadlocks).
    const rounds = Math.max(0, ...leads.map((l) => Number(l.version) - 1));
    const updateRounds = Array.from({ length: rounds }, (_, r) =>
      chunks(
        leads.filter((l) => Number(l.version) - 1 > r),
        BATCH,
      ).map((batch): [string, unknown[]] => {
        const values: unknown[] = [];
        const tuples = batch.map((l) => {
          values.push(ids.get(l.id as string), l.score, l.last_seq, param(l.snapshot));
          const n = values.length;
          return `($${n - 3}, $${n - 2}::int, $${n - 1}::int, $${n}::jsonb)`;
        });
        return [
          `update leads as l set version = l.version + 1, score = v.score, last_seq = v.last_seq, snapshot = v.snapshot,
                  updated_at = now(), last_activity_at = now()
             from (values ${tuples.join(', ')}) as v(id, score, last_seq, snapshot) where l.id = v.id`,
          values,
        ];
      }),
    );
    const updates = leads.reduce((sum, l) => sum + Number(l.version) - 1, 0);

    const started = performance.now();
    let rows = await inParallel(
      pool,
      inserts(
        'leads',
        leadColumns,
        leads.map((l) => ({ ...l, id: ids.get(l.id as string) })),
      ),
    );
    for (const c of children) rows += await inParallel(pool, inserts(c.table, c.columns, c.rows));
    for (const round of updateRounds) rows += await inParallel(pool, round);
    const seconds = (performance.now() - started) / 1000;
    const perTable = Object.fromEntries([
      ['leads', leads.length],
      ...children.map((c) => [c.table, c.rows.length]),
      ['lead updates', updates],
    ]);
    return { journeys: leads.length, rows, seconds, rowsPerSecond: rows / seconds, perTable };
  } finally {
    await pool.end();
  }
}

runMain(async () => {
  const bare = await bareServer('socket.io');
  const socket = await socketJourneys(`${bare.url}/chat`, JOURNEYS, VISITORS);
  // The same transport without a connection per journey, and then with emits pipelined.
  const emits = JOURNEYS * SOCKET_STEPS.length;
  const kept = await pipelinedEmits(`${bare.url}/chat`, VISITORS, 1, emits);
  const pipelined = await pipelinedEmits(`${bare.url}/chat`, 16, 32, emits * 4);
  await bare.close();

  await withDatabase(async (dbUrl) => {
    const journeys = await withServer({ DATABASE_URL: dbUrl }, async (server) => {
      await socketJourneys(`${server.url}/chat`, Math.min(64, JOURNEYS), VISITORS); // warm-up
      return socketJourneys(`${server.url}/chat`, JOURNEYS, VISITORS);
    });
    // The server is stopped: the storage ceiling has the database to itself.
    const cpuBefore = cpuSnapshot([]);
    const storage = await storageCeiling(dbUrl);
    const rowsPerEvent = storage.rows / (storage.journeys * SOCKET_STEPS.length);
    const storageCpu = cpuPerEvent(cpuBefore, cpuSnapshot([]), storage.journeys * SOCKET_STEPS.length);
    const storageEventsPerSecond = storage.rowsPerSecond / rowsPerEvent;
    const ratio = {
      socket: journeys.eventsPerSecond / socket.eventsPerSecond,
      storage: journeys.eventsPerSecond / storageEventsPerSecond,
    };
    report(
      'ceilings',
      {
        visitors: VISITORS,
        journeys,
        socket,
        kept,
        pipelined,
        storage,
        storageCpu,
        rowsPerEvent,
        storageEventsPerSecond,
        ratio,
      },
      [
        `## ceilings (${today()}, ${machine()}; ${VISITORS} concurrent visitors, ${JOURNEYS} journeys of ${SOCKET_STEPS.length} events; storage: batches of ${BATCH} rows on ${CONNECTIONS} connections)`,
        '',
        table(
          ['run', 'events/s', 'rows/s', 'ack p50 ms', 'p99 ms', 'journeys events/s against it'],
          [
            [
              'lead-capture-bot journeys, committed before ack',
              f1(journeys.eventsPerSecond),
              '',
              f1(journeys.p50),
              f1(journeys.p99),
              '',
            ],
            [
              'transport: bare socket.io, ack only',
              f1(socket.eventsPerSecond),
              '',
              f1(socket.p50),
              f1(socket.p99),
              pct(ratio.socket),
            ],
            [
              `transport, ${kept.clients} connections kept open, 1 emit in flight each`,
              f1(kept.emitsPerSecond),
              '',
              '',
              '',
              pct(journeys.eventsPerSecond / kept.emitsPerSecond),
            ],
            [
              `transport, ${pipelined.clients} connections, ${pipelined.inFlight} emits in flight each`,
              f1(pipelined.emitsPerSecond),
              '',
              '',
              '',
              pct(journeys.eventsPerSecond / pipelined.emitsPerSecond),
            ],
            [
              'storage: the same rows by raw multi-row inserts',
              f1(storageEventsPerSecond),
              f1(storage.rowsPerSecond),
              '',
              '',
              pct(ratio.storage),
            ],
          ],
        ),
        '',
        `Rows written again (${storage.journeys} journeys, warm-up included): ${Object.entries(
          storage.perTable,
        )
          .map(([t, n]) => `${t} ${n}`)
          .join(
            ', ',
          )}; ${f1(rowsPerEvent)} rows per acked event. The storage ceiling's events/s is its rows/s over that.`,
        `Writing them that way cost PostgreSQL ${storageCpu.ms.postgres.toFixed(3)} ms of CPU per event (this load generator ` +
          `${storageCpu.ms.load.toFixed(3)} ms): at 3000 events/s, ${((3000 * storageCpu.ms.postgres) / 1000).toFixed(2)} cores for the database alone.`,
        `The transport rows without a journey use the same bare server (failed acks: ${kept.failed} kept open, ${pipelined.failed} pipelined): the journeys open a connection per visitor and wait for each ack.`,
      ].join('\n'),
    );
  });
});
