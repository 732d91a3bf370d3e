import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { AgentTokens } from '../../src/agents/tokens.js';
import type { TestDatabase } from './database.js';
import { randomPrefix, testRedisUrl } from './redis.js';
import { requireProgram } from './requirements.js';
import { SEED_RULES_FILE } from './workflows.js';

export const CLUSTER_SECRET = 'cluster-test-secret-0123456789abcdef';

/** One server process, started the way production starts it (src/main.ts). */
export interface NodeProcess {
  nodeId: string;
  url: string;
  child: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
}

export async function startNode(
  env: Record<string, string>,
  nodeId = `node-${randomBytes(3).toString('hex')}`,
): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ID: nodeId,
      SECRET_KEY: CLUSTER_SECRET,
      IDLE_SWEEP_SECONDS: '3600',
      // Every client of a test is 127.0.0.1 (see test/support/app.ts).
      SESSION_STARTS_PER_MINUTE: '0',
      // The fixed journeys of the tests and benchmarks (see test/support/app.ts).
      AB_TESTING_ENABLED: 'false',
      // The seed's own scoring rules, for the exact scores the tests check (see test/support/workflows.ts).
      WORKFLOW_FILE: SEED_RULES_FILE,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${nodeId} did not start:\n${logs.join('\n')}`)), 30_000);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'lead-capture-bot listening' && entry.url) {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${nodeId} exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return {
    nodeId,
    url,
    child,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A free TCP port on the loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, so it can be stopped and started without touching the shared one. */
export async function startRedis(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  requireProgram('redis-server', 'redis-server');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function agentToken(ttl: string | number = '1h'): Promise<string> {
  return new AgentTokens(CLUSTER_SECRET).sign({ id: 'agent-1', name: 'Asha', role: 'agent' }, ttl);
}

/** Two server processes, node-a and node-b, on a database of their own. */
export interface TwoNodes {
  db: TestDatabase;
  /** What both nodes were started with (for a third node on the same database and Redis). */
  env: Record<string, string>;
  a: NodeProcess;
  b: NodeProcess;
  /** Stops both nodes, then drops the database. */
  stop(): Promise<void>;
}

/**
 * Starts node-a and node-b on a new database and on the run's Redis under a fresh prefix, with `extra`
 * added to (or overriding) that environment for both and `perNode(nodeId)` for each alone.
 */
export async function startTwoNodes(
  extra: Record<string, string> = {},
  perNode: (nodeId: string) => Record<string, string> = () => ({}),
): Promise<TwoNodes> {
  // Loaded here: database.ts needs the test runner, and the benchmarks import this file without one.
  const { createTestDatabase } = await import('./database.js');
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), REDIS_PREFIX: randomPrefix(), ...extra };
  const started = await Promise.allSettled(
    ['node-a', 'node-b'].map((id) => startNode({ ...env, ...perNode(id) }, id)),
  );
  const [a, b] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  if (!a || !b) {
    await Promise.all([a?.stop(), b?.stop()]);
    await db.drop();
    throw started.find((r) => r.status === 'rejected')!.reason;
  }
  return {
    db,
    env,
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await db.drop();
    },
  };
}
