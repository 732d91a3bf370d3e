import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type NodeProcess, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import { requireProgram } from '../support/requirements.js';
import { openVisitor, type Transport } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/** deploy/nginx.conf, pointed at local nodes and a local port. */
function localConfig(dir: string, port: number, nodes: string[], sticky = true): string {
  let conf = readFileSync('deploy/nginx.conf', 'utf8')
    .replace('server app1:5000', `server ${nodes[0]}`)
    .replace('server app2:5000', `server ${nodes[1]}`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('pid /tmp/nginx.pid;', `pid ${join(dir, 'nginx.pid')};`);
  if (!sticky) conf = conf.replace(/^\s*hash \$remote_addr consistent;$/m, '');
  const file = join(dir, sticky ? 'nginx.conf' : 'round-robin.conf');
  writeFileSync(file, conf);
  return file;
}

async function startNginx(dir: string, conf: string, port: number) {
  const child = spawn(
    'nginx',
    ['-p', dir, '-c', conf, '-g', `daemon off; error_log ${join(dir, 'error.log')};`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(`nginx on ${port}`, () => child.exitCode !== null || undefined, 300).catch(() => undefined);
  if (child.exitCode !== null) throw new Error(`nginx failed: ${output}`);
  await waitFor(
    'nginx answering',
    async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok,
  );
  return {
    async stop() {
      // Fast shutdown: a graceful one would wait for held long-polling requests (up to the ping interval).
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** The status nginx answers to a GET whose request line carries `path` exactly as written. */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A visitor over one transport: connects, answers the greeting and one question. */
async function journey(url: string, transports: Transport[]) {
  const chat = openVisitor(url, { transports });
  try {
    await chat.hello();
    for (const payload of [{ optionIds: ['yes'] }, { optionIds: ['other'] }]) {
      const ack = await chat.send('visitor:reply', payload);
      if (!ack.ok) throw new Error(ack.error.code);
    }
    // Let a few long-polling round trips happen before declaring success.
    await sleep(300);
    if (!chat.socket.connected) throw new Error('dropped');
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    chat.close();
  }
}

const SCRAPE_TOKEN = 'nginx-test-metrics-token-0123';

describe('two nodes behind nginx with deploy/nginx.conf', () => {
  let cluster: TwoNodes;
  let nodes: NodeProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lcb-nginx-'));
  let upstreams: string[];

  beforeAll(async () => {
    requireProgram('nginx', 'nginx-light');
    cluster = await startTwoNodes({ TRUST_PROXY: '1', METRICS_TOKEN: SCRAPE_TOKEN });
    nodes = [cluster.a, cluster.b];
    upstreams = nodes.map((n) => n.url.replace('http://', ''));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps long-polling clients on one node and passes WebSocket upgrades', async () => {
    const port = await freePort();
    const nginx = await startNginx(dir, localConfig(dir, port, upstreams), port);
    try {
      const url = `http://127.0.0.1:${port}`;
      const results = await Promise.all([
        ...Array.from({ length: 8 }, () => journey(url, ['polling'])),
        ...Array.from({ length: 4 }, () => journey(url, ['websocket'])),
        ...Array.from({ length: 4 }, () => journey(url, ['polling', 'websocket'])),
      ]);
      expect(results).toEqual(results.map(() => 'ok'));
    } finally {
      await nginx.stop();
    }
  });

  it('refuses /metrics however it is spelled, even with the token; a node itself serves it to Prometheus', async () => {
    const port = await freePort();
    const nginx = await startNginx(dir, localConfig(dir, port, upstreams), port);
    try {
      const auth = { authorization: `Bearer ${SCRAPE_TOKEN}` };
      // Sent as raw request lines: fetch would normalise some of these paths itself.
      for (const path of [
        '/metrics',
        '/metrics/',
        '//metrics',
        '/%6Detrics',
        '/METRICS',
        '/./metrics',
        '/x/../metrics',
        '/metrics?x=1',
      ]) {
        const status = await rawGet(port, path, auth);
        expect(status, path).toBe(403);
      }
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect((await fetch(`${nodes[0]!.url}/metrics`, { headers: auth })).status).toBe(200);
    } finally {
      await nginx.stop();
    }
  });

  it('the same clients fail without the sticky hash (so the test above can tell)', async () => {
    const port = await freePort();
    const nginx = await startNginx(dir, localConfig(dir, port, upstreams, false), port);
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => journey(`http://127.0.0.1:${port}`, ['polling'])),
      );
      expect(results.filter((r) => r !== 'ok').length).toBeGreaterThan(0);
    } finally {
      await nginx.stop();
    }
  });
});
