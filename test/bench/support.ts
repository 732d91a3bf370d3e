/**
 * What the benchmark scenarios share: server processes, /proc usage, percentiles, a throw-away database,
 * the machine's description, Markdown tables and the sections of RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../src/config.js';
import { type NodeProcess, startNode } from '../support/cluster.js';

export type { NodeProcess };

/** A number from the environment, or the default. */
export const envNumber = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return process.env[name] && Number.isFinite(v) ? v : fallback;
};

/** Settings that let one load generator on 127.0.0.1 push a server as hard as it can. */
export const LOOSE_LIMITS: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: '1000000',
  SOCKET_EVENTS_PER_SECOND: '1000',
  SOCKET_EVENT_BURST: '1000',
  // Every load generator connects from 127.0.0.1: no per-address connection cap or session budget.
  MAX_CONNECTIONS_PER_IP: '0',
  // /metrics is served only with a token; `scrape` sends it.
  METRICS_TOKEN: 'bench-metrics-token-0123456789',
  SESSION_STARTS_PER_MINUTE: '0',
};

/** Server settings a run may set from its own environment (write-path tuning), passed on as they are. */
const PASSED_ON = [
  'COMMIT_GROUP_MS',
  'COMMIT_GROUP_MAX',
  'COMMIT_WRITERS',
  'DB_POOL_MAX',
  'SESSION_CACHE_SIZE',
  'RUNNING_ACTORS',
];

/** A server process started from src/main.ts (tsx), the way production starts it. */
export function startServer(env: Record<string, string>, nodeId?: string): Promise<NodeProcess> {
  const passed = Object.fromEntries(PASSED_ON.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
  return startNode({ ...LOOSE_LIMITS, ...passed, ...env }, nodeId);
}

/** The command name and the fields after it of a process's /proc stat line; null once it is gone. */
function readStat(pid: number | string): { comm: string; fields: string[] } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of a process's stat fields. */
const cpuOf = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) / 100;

/** CPU seconds and RSS of a process, from /proc. */
export function usage(pid: number): { cpu: number; rssMb: number } {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return { cpu: cpuOf(stat.fields), rssMb: (Number(stat.fields[21]) * 4096) / 2 ** 20 };
}

/** CPU seconds used so far by each part of a run on this machine. */
export interface CpuSnapshot {
  /** The server processes under test. */
  server: number;
  /**
   * PostgreSQL's processes: the shared ones (WAL writer, checkpointer …) and the backends of the run's
   * database when it is named (other databases' backends are other work on a shared machine), else all.
   */
  postgres: number;
  /** Every Redis server process. */
  redis: number;
  /** This process: the load generator. */
  load: number;
}

/**
 * Whether a PostgreSQL process works for `database`: a client backend's title names its database
 * ("postgres: 15/main: user db 127.0.0.1(5432) idle"); the shared processes name none and always count.
 */
function worksFor(pid: string, database: string | null | undefined): boolean {
  if (database === undefined) return true;
  let title: string;
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return false;
  }
  const backend = /^postgres: [^:]+: \S+ (\S+) (?:[\d.:a-f]+\(\d+\)|\[local\])/.exec(title);
  return !backend || backend[1] === database;
}

/**
 * What every part of the run has used so far: read before and after a run, see `cpuPerEvent`. With
 * `database`, PostgreSQL's backends of other databases are left out (null: all backends are).
 */
export function cpuSnapshot(serverPids: number[], database?: string | null): CpuSnapshot {
  const snap: CpuSnapshot = { server: 0, postgres: 0, redis: 0, load: 0 };
  for (const pid of serverPids) {
    const stat = readStat(pid);
    if (stat) snap.server += cpuOf(stat.fields);
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.comm === 'postgres') {
      if (worksFor(entry, database)) snap.postgres += cpuOf(stat.fields);
    } else if (stat?.comm === 'redis-server') snap.redis += cpuOf(stat.fields);
  }
  const own = process.cpuUsage();
  snap.load = (own.user + own.system) / 1e6;
  return snap;
}

/** CPU milliseconds per event of each part between two snapshots, their total, and what the machine's cores allow at that cost. */
export function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number) {
  const per = (k: keyof CpuSnapshot) => (1000 * (after[k] - before[k])) / events;
  const ms = { server: per('server'), postgres: per('postgres'), redis: per('redis'), load: per('load') };
  const total = ms.server + ms.postgres + ms.redis + ms.load;
  return {
    ms,
    total,
    /** Events/s if every core did nothing but this run's work at this cost. */
    machineBound: (1000 * cpus().length) / total,
    /** The same without the load generator (the visitors' browsers are elsewhere in production). */
    boundWithoutLoad: (1000 * cpus().length) / (total - ms.load),
    /** Events/s one server process allows: its JavaScript runs on one thread. */
    oneProcessBound: 1000 / ms.server,
  };
}

/** The CPU budget as one line of a section. */
export function budgetLine(b: ReturnType<typeof cpuPerEvent>, unit = 'event'): string {
  const f3 = (n: number) => n.toFixed(3);
  return (
    `CPU ms per ${unit}: server ${f3(b.ms.server)}, PostgreSQL ${f3(b.ms.postgres)}, Redis ${f3(b.ms.redis)}, ` +
    `load generator ${f3(b.ms.load)}; total ${f3(b.total)}. At that cost the ${cpus().length} cores allow at most ` +
    `${b.machineBound.toFixed(0)} ${unit}s/s (${b.boundWithoutLoad.toFixed(0)} without the load generator), ` +
    `and one server process ${b.oneProcessBound.toFixed(0)}.`
  );
}

/** Prometheus gauges of a server (its default process metrics carry the `lcb_` prefix). */
export async function scrape(url: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${LOOSE_LIMITS.METRICS_TOKEN}` },
  });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m && !(m[1]! in out)) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** p50, p95 and p99 of some latencies (sorted in place). */
export function latencySummary(values: number[]): { p50: number; p95: number; p99: number } {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** The admin connection: `DATABASE_URL`, or the local default. */
export function adminUrl(): string {
  return loadConfig().database.url ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The Redis of the run: `REDIS_URL`, or the local default. */
export function redisUrl(): string {
  return loadConfig().redis.url ?? 'redis://127.0.0.1:6379';
}

/** A database of the scenario's own, created empty (the server migrates it) and dropped afterwards. */
export async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const admin = adminUrl();
  const name = `lcb_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  try {
    return await work(Object.assign(new URL(admin), { pathname: `/${name}` }).toString());
  } finally {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  }
}

/** One line describing the machine, for the results. */
export function machine(): string {
  const model = cpus()[0]?.model ?? 'cpu';
  return `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export const today = (): string => new Date().toISOString().slice(0, 10);

/** A Markdown table with padded columns (the way RESULTS.md is kept). */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

export const f1 = (n: number): string => n.toFixed(1);
export const pct = (ratio: number): string => `${(100 * ratio).toFixed(1)} %`;

const RESULTS = 'test/bench/RESULTS.md';

/**
 * Prints a scenario's JSON line and Markdown section; with BENCH_WRITE_RESULTS it replaces the
 * scenario's own `## <scenario>` section of RESULTS.md (or adds it before `## Notes`), never anything else.
 */
export function report(scenario: string, row: Record<string, unknown>, markdown: string): void {
  console.log(JSON.stringify({ scenario, ...row }));
  console.log(`\n${markdown}\n`);
  if (process.env.BENCH_WRITE_RESULTS) writeSection(RESULTS, scenario, markdown);
  if (targetsOfRow) printTargets(targetsOfRow(row));
}

/**
 * One target of the performance goals as the summary at the end of `npm run bench` shows it: what,
 * the figure measured, the goal, and whether the figure meets it.
 */
export interface BenchTarget {
  target: string;
  measured: string;
  goal: string;
  holds: boolean;
}

/** The line a scenario prints its targets on (`BENCH_TARGETS <json array>`); run.ts collects them. */
export const TARGETS_MARK = 'BENCH_TARGETS ';

export function printTargets(targets: BenchTarget[]): void {
  console.log(`${TARGETS_MARK}${JSON.stringify(targets)}`);
}

/** A target `measured ≥ goal` (`at: 'least'`) or `measured ≤ goal` (`at: 'most'`), both shown with `format`. */
export function benchTarget(
  target: string,
  measured: number,
  at: 'least' | 'most',
  goal: number,
  format: (n: number) => string = (n) => n.toFixed(2),
): BenchTarget {
  return {
    target,
    measured: format(measured),
    goal: `${at === 'least' ? '≥' : '≤'} ${format(goal)}`,
    holds: at === 'least' ? measured >= goal : measured <= goal,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a scenario's JSON row, read by the scenario that printed it
type ReportRow = Record<string, any>;
let targetsOfRow: ((row: ReportRow) => BenchTarget[]) | undefined;

/** A scenario's targets, computed from the JSON row its `report` prints (printed right after it). */
export function targetsFromReport(of: (row: ReportRow) => BenchTarget[]): void {
  targetsOfRow = of;
}

/** Replaces the section whose heading is `## <scenario>` or `## <scenario> (…)`. */
export function writeSection(file: string, scenario: string, markdown: string): void {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const starts = lines.flatMap((l, i) => (l.startsWith('## ') ? [i] : []));
  const heading = (i: number) => lines[i]!.slice(3);
  const own = starts.find((i) => heading(i) === scenario || heading(i).startsWith(`${scenario} (`));
  const block = markdown.trimEnd().split('\n');
  if (own !== undefined) {
    const end = starts.find((i) => i > own) ?? lines.length;
    lines.splice(own, end - own, ...block, '');
  } else {
    const notes = starts.find((i) => heading(i) === 'Notes');
    if (notes !== undefined) lines.splice(notes, 0, ...block, '');
    else lines.push(...(lines.at(-1) === '' ? [] : ['']), ...block, '');
  }
  writeFileSync(file, `${lines.join('\n').trimEnd()}\n`);
}

/** A child process running a TypeScript file of the bench (node --import tsx). */
export function spawnTs(file: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
}

/** The first JSON line a child prints. */
export function firstLine<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const nl = buffer.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buffer.slice(0, nl)) as T);
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

export interface BareServer {
  url: string;
  pid: number;
  child: ChildProcess;
  close(): Promise<void>;
}

/**
 * A ceiling's server in a process of its own (test/bench/bare.ts): `socket.io` only acknowledges,
 * `http` only answers JSON.
 */
export async function bareServer(
  kind: 'socket.io' | 'http' | 'redis-relay',
  env: Record<string, string> = {},
): Promise<BareServer> {
  const child = spawnTs('test/bench/bare.ts', [kind], env);
  const { url } = await firstLine<{ url: string }>(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    pid: child.pid!,
    child,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A websocket-only socket.io client, connected. */
export async function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Stops a server process after the work, whatever happens. */
export async function withServer<T>(
  env: Record<string, string>,
  work: (server: NodeProcess) => Promise<T>,
  nodeId?: string,
): Promise<T> {
  const server = await startServer(env, nodeId);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

/** Runs a scenario's main and exits non-zero on failure. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** Where the memory probe writes: one line on stderr starting with this mark. */
export const MEMORY_MARK = 'BENCH_MEMORY ';

/**
 * A module preloaded into a server (`--import`, or NODE_OPTIONS) without any server code: on SIGUSR2
 * it runs a full GC and writes `process.memoryUsage()` on one marked stderr line. It gets at `gc` by
 * itself, so the server needs no `--expose-gc`.
 */
export const MEMORY_PROBE = `data:text/javascript,${encodeURIComponent(
  [
    "import v8 from 'node:v8';",
    "import vm from 'node:vm';",
    "v8.setFlagsFromString('--expose_gc');",
    "const gc = vm.runInNewContext('gc');",
    "process.on('SIGUSR2', () => {",
    '  gc();',
    `  process.stderr.write(${JSON.stringify(MEMORY_MARK)} + JSON.stringify(process.memoryUsage()) + '\\n');`,
    '});',
  ].join('\n'),
)}`;

/** Asks a process started with MEMORY_PROBE for its memory after a full GC. */
export function memoryAfterGc(child: ChildProcess, timeoutMs = 30_000): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (c: Buffer) => {
      buffer += c.toString();
      const line = buffer.split('\n').find((l) => l.startsWith(MEMORY_MARK));
      if (!line) return;
      done();
      resolve(JSON.parse(line.slice(MEMORY_MARK.length)) as NodeJS.MemoryUsage);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('no memory line from the process'));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
    };
    child.stderr!.on('data', onData);
    child.kill('SIGUSR2');
  });
}
