import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * What the suite needs from the machine. A missing program or service fails the run with a message
 * that says how to get it, never a skip: a green run must mean every test ran.
 */

/**
 * Throws, naming the Debian package, when a program a test drives is not installed. `npm test`
 * (scripts/test.sh) installs the missing ones with apt-get when it runs as root.
 */
export function requireProgram(program: string, debianPackage: string): void {
  if (installed(program)) return;
  throw new Error(
    `${program} is not installed. \`npm test\` installs Debian's ${debianPackage} when it runs as root; ` +
      `otherwise install it with \`sudo apt-get install -y ${debianPackage}\`.`,
  );
}

/** An absolute path exists, or a command is found on the PATH. */
function installed(program: string): boolean {
  if (program.startsWith('/')) return existsSync(program);
  const { error } = spawnSync(program, ['-v'], { stdio: 'ignore' });
  return (error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT';
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Throws, saying how to start it, when the PostgreSQL of `DATABASE_URL` cannot be reached. */
export async function requirePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${shown(url)} (DATABASE_URL): ${(err as Error).message}. ` +
        'Start it (on Debian: `pg_ctlcluster <version> main start`), point DATABASE_URL at a running ' +
        'server, or unset DATABASE_URL to run the tests on an embedded PostgreSQL.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Throws, saying how to start it, when the run's Redis cannot be reached. */
export async function requireRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The connection's own error (ECONNREFUSED, say) says more than the rejected command's.
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${shown(url)} (REDIS_URL, default redis://127.0.0.1:6379): ` +
        `${(cause ?? (err as Error)).message.replace(/\.$/, '')}. Start it (\`redis-server --daemonize yes --port 6379 --save "" ` +
        "--appendonly no`, from Debian's redis-server) or point REDIS_URL at a running Redis.",
    );
  } finally {
    client.disconnect();
  }
}
