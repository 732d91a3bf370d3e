import { request } from 'node:http';
import { Manager } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireError } from '../../src/errors.js';
import type { HandshakeRefusal } from '../../src/protocol/index.js';
import { METRICS_TOKEN, settledConnections, startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ChatSocket, closeClients, connectSocket, type Transport, visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * MAX_CONNECTIONS_PER_IP over real HTTP and real socket.io clients: handshakes over the cap are
 * refused with a message naming it, slots come back when connections close (and when a handshake
 * fails after it was admitted), and the address is the one REST sees under TRUST_PROXY. One engine.io
 * connection holds one /chat socket at most, and SESSION_STARTS_PER_MINUTE is one budget per address for
 * both doors.
 */

const WAIT_MS = 5000;
const REFUSAL = 'Too many connections from this address: at most 3 at a time.';

/**
 * socket.io-client's connect_error: the server's refusal in `data` (a namespace's), or engine.io's in
 * `description` and `context`; `body` is the polling handshake's response, read before the client drops it.
 */
type ConnectError = HandshakeRefusal & {
  description?: unknown;
  context?: { responseText?: string };
  body?: string;
};

/** A /chat client from `ip` (sent as X-Forwarded-For); resolves once it is in, or with its connect_error. */
async function open(
  url: string,
  ip?: string,
  transport: Transport = 'websocket',
): Promise<{ socket: ChatSocket; refused?: ConnectError }> {
  const socket = connectSocket(url, '/chat', {
    transports: [transport],
    ...(ip ? { headers: { 'x-forwarded-for': ip } } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('neither session nor connect_error')), WAIT_MS);
    socket.once('session', () => {
      clearTimeout(timer);
      resolve({ socket });
    });
    socket.once('connect_error', (err: ConnectError) => {
      clearTimeout(timer);
      err.body = err.context?.responseText;
      resolve({ socket, refused: err });
    });
  });
}

async function accepted(url: string, ip?: string, transport: Transport = 'websocket'): Promise<ChatSocket> {
  const { socket, refused } = await open(url, ip, transport);
  expect(refused?.message, 'the connection should have been accepted').toBeUndefined();
  return socket;
}

/**
 * Accepted within WAIT_MS. A polling client's slot comes back when engine.io closes the connection,
 * which can be a moment after socket.io counts the disconnect (the gauge `settledConnections` reads).
 */
async function eventuallyAccepted(url: string, ip: string, transport: Transport): Promise<ChatSocket> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { socket, refused } = await open(url, ip, transport);
    if (!refused || Date.now() > deadline) {
      expect(refused?.message, 'the connection should have been accepted').toBeUndefined();
      return socket;
    }
    socket.close();
    await sleep(50);
  }
}

async function refused(url: string, ip?: string, transport: Transport = 'websocket'): Promise<ConnectError> {
  const { refused } = await open(url, ip, transport);
  expect(refused, 'the connection should have been refused').toBeDefined();
  return refused!;
}

/** A WebSocket handshake by hand, to read what the server answers when it refuses one. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/**
 * One engine.io connection over WebSocket that speaks socket.io packets by hand (socket.io-client keeps
 * one socket per namespace and would never send a second CONNECT): `send('0/chat,{}')` is a CONNECT.
 * `received` holds every socket.io packet the server sent, as text.
 */
async function rawConnection(url: string, ip?: string) {
  const manager = new Manager(url, {
    transports: ['websocket'],
    reconnection: false,
    autoConnect: false,
    ...(ip ? { extraHeaders: { 'x-forwarded-for': ip } } : {}),
  });
  await new Promise<void>((resolve, reject) => manager.open((err) => (err ? reject(err) : resolve())));
  const received: string[] = [];
  manager.engine.on('message', (data) => received.push(String(data)));
  const packets = (prefix: string) =>
    received.filter((m) => m.startsWith(prefix)).map((m) => JSON.parse(m.slice(prefix.length)) as unknown);
  return {
    received,
    send: (packet: string) => manager.engine.send(packet),
    /** /chat CONNECT answers: sockets made, and CONNECT_ERRORs. */
    connected: () => packets('0/chat,'),
    refusals: () => packets('4/chat,') as { message: string; data: WireError }[],
    close: () => manager.engine.close(),
  };
}

afterEach(closeClients);

describe('MAX_CONNECTIONS_PER_IP', () => {
  let db: TestDatabase;
  let behindProxy: TestApp;
  let direct: TestApp;
  let uncapped: TestApp;

  const leads = async () => (await db.query('select count(*)::int as n from leads'))[0]!.n as number;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One proxy in front (a hop count, as in docker-compose): its X-Forwarded-For entry is the client.
    behindProxy = await startTestApp(
      { MAX_CONNECTIONS_PER_IP: '3', TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: '2', METRICS_TOKEN },
      {},
      db,
    );
    direct = await startTestApp({ MAX_CONNECTIONS_PER_IP: '2', METRICS_TOKEN }, {}, db);
    uncapped = await startTestApp({ MAX_CONNECTIONS_PER_IP: '0', METRICS_TOKEN }, {}, db);
  });
  afterAll(async () => {
    await behindProxy?.close();
    await direct?.close();
    await uncapped?.close();
    await db?.drop();
  });

  it('refuses the 4th connection from one address naming the limit, lets another address in, and lets one in again when one closes', async () => {
    const url = behindProxy.app.url;
    const a = '198.51.100.1';
    const b = '198.51.100.2';
    const before = await leads();
    const first = await accepted(url, a);
    await accepted(url, a, 'polling');
    await accepted(url, a);
    expect(await settledConnections(url, 3)).toBe(3);

    // Over WebSocket and over polling alike, and no session is started for a refused handshake.
    expect((await refused(url, a)).message).toBe('websocket error');
    const polling = await refused(url, a, 'polling');
    expect(polling.description).toBe(403);
    expect(JSON.parse(polling.body!)).toEqual({ code: 4, message: REFUSAL });
    const raw = await rawUpgrade(url, { 'x-forwarded-for': a });
    expect(raw).toEqual({ status: 400, body: REFUSAL });
    expect(await leads()).toBe(before + 3);

    // Another address is unaffected.
    await accepted(url, b);
    await accepted(url, b);
    expect(await settledConnections(url, 5)).toBe(5);

    // Closing one gives its slot back; the refusals above took none.
    first.close();
    expect(await settledConnections(url, 4)).toBe(4);
    await accepted(url, a);
    await refused(url, a);
    await refused(url, a, 'polling');
    expect(await leads()).toBe(before + 6);
  });

  it('a polling connection gives its slot back when it closes', async () => {
    const url = behindProxy.app.url;
    const ip = '198.51.100.3';
    expect(await settledConnections(url, 0)).toBe(0);
    const polls = [
      await accepted(url, ip, 'polling'),
      await accepted(url, ip, 'polling'),
      await accepted(url, ip, 'polling'),
    ];
    await refused(url, ip, 'polling');
    polls[1]!.close();
    expect(await settledConnections(url, 2)).toBe(2);
    await eventuallyAccepted(url, ip, 'polling');
    await refused(url, ip);
  });

  it('handshakes that fail after they were admitted do not keep a slot', async () => {
    const url = behindProxy.app.url;
    const ip = '198.51.100.4';
    expect(await settledConnections(url, 0)).toBe(0);
    for (let i = 0; i < 5; i++) {
      // ws refuses the upgrade (a key that is not one) after allowRequest admitted it.
      const bad = await rawUpgrade(url, { 'x-forwarded-for': ip, 'sec-websocket-key': 'nope' });
      expect(bad.status === 400 || bad.status === 0, JSON.stringify(bad)).toBe(true);
      // engine.io refuses protocol 3 after allowRequest admitted it.
      const old = await fetch(`${url}/socket.io/?EIO=3&transport=polling`, {
        headers: { 'x-forwarded-for': ip },
      });
      expect(old.status).toBe(400);
      expect(await old.json()).toMatchObject({ code: 5 });
    }
    await sleep(100);
    await accepted(url, ip);
    await accepted(url, ip);
    await accepted(url, ip);
    expect((await rawUpgrade(url, { 'x-forwarded-for': ip })).body).toBe(REFUSAL);
  });

  it('REST sees the same client address: the rate limit keys on the X-Forwarded-For entry of the one proxy', async () => {
    const get = (ip: string) =>
      fetch(`${behindProxy.app.url}/api/questions`, { headers: { 'x-forwarded-for': ip } });
    expect((await get('203.0.113.1')).status).toBe(200);
    expect((await get('203.0.113.1')).status).toBe(200);
    const limited = await get('203.0.113.1');
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await get('203.0.113.2')).status).toBe(200);
  });

  it('without a trusted proxy, a forged X-Forwarded-For does not get around the cap', async () => {
    const url = direct.app.url;
    await accepted(url, '192.0.2.1');
    await accepted(url, '192.0.2.2');
    const err = await refused(url, '192.0.2.3', 'polling');
    expect(JSON.parse(err.body!).message).toBe(
      'Too many connections from this address: at most 2 at a time.',
    );
    await refused(url);
  });

  it('a cap of 0 lets any number of connections from one address in', async () => {
    const url = uncapped.app.url;
    for (let i = 0; i < 6; i++) await accepted(url, undefined, i % 2 ? 'polling' : 'websocket');
    expect(await settledConnections(url, 6)).toBe(6);
  });
});

describe('one /chat socket per engine.io connection', () => {
  let t: TestApp;
  const leads = async () => (await t.db.query('select count(*)::int as n from leads'))[0]!.n as number;
  const raws: { close(): void }[] = [];

  beforeAll(async () => {
    // No other limit in the way: only the one-socket rule stands between 300 CONNECTs and 300 sessions.
    t = await startTestApp({ MAX_CONNECTIONS_PER_IP: '0', SESSION_STARTS_PER_MINUTE: '0' });
  });
  afterEach(() => {
    for (const r of raws.splice(0)) r.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('300 CONNECT packets for /chat on one connection make one socket and start one session', async () => {
    const before = await leads();
    const raw = await rawConnection(t.app.url);
    raws.push(raw);
    // All at once: the first is still waiting for its session when the others arrive.
    for (let i = 0; i < 300; i++) raw.send('0/chat,{}');
    await waitFor(
      'an answer to every CONNECT',
      () => raw.connected().length + raw.refusals().length >= 300,
      WAIT_MS,
    );
    expect(raw.connected()).toHaveLength(1);
    const refusals = raw.refusals();
    expect(refusals).toHaveLength(299);
    expect(new Set(refusals.map((r) => r.data.code))).toEqual(new Set(['already_connected']));
    expect(refusals[0]!.message).toBe(refusals[0]!.data.message);
    await sleep(200);
    expect(await leads()).toBe(before + 1);

    // The connection's socket works, and once it leaves the connection may open /chat again.
    expect(raw.received.filter((m) => m.startsWith('2/chat,["session"'))).toHaveLength(1);
    raw.send('1/chat,');
    await sleep(100);
    raw.send('0/chat,{}');
    await waitFor('a second socket', () => raw.connected().length === 2, WAIT_MS);
    expect(raw.refusals()).toHaveLength(299);
    expect(await leads()).toBe(before + 2);
  });

  it('a handshake that fails gives the connection back: a valid CONNECT after it is let in', async () => {
    const raw = await rawConnection(t.app.url);
    raws.push(raw);
    raw.send('0/chat,{"unknown":1}');
    await waitFor('the refusal', () => raw.refusals().length === 1, WAIT_MS);
    expect(raw.refusals()[0]!.data.code).toBe('validation_failed');
    raw.send('0/chat,{}');
    await waitFor('a socket', () => raw.connected().length === 1, WAIT_MS);
  });

  it('two socket.io clients sharing one connection keep one /chat socket (socket.io-client reuses it)', async () => {
    const manager = new Manager(t.app.url, { transports: ['websocket'], reconnection: false });
    const first: ChatSocket = manager.socket('/chat');
    const second = manager.socket('/chat');
    expect(second).toBe(first);
    first.connect();
    await new Promise((r) => first.once('session', r));
    first.close();
    manager.engine.close();
  });
});

describe('SESSION_STARTS_PER_MINUTE: one budget per client address for REST and socket', () => {
  let t: TestApp;
  const leads = async () => (await t.db.query('select count(*)::int as n from leads'))[0]!.n as number;
  const start = (ip: string) =>
    fetch(`${t.app.url}/api/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: '{}',
    });

  beforeAll(async () => {
    t = await startTestApp({ SESSION_STARTS_PER_MINUTE: '3', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the 4th new session of an address in a minute is refused at either door; resumes and other addresses are not', async () => {
    const a = '198.51.100.20';
    const before = await leads();
    expect((await start(a)).status).toBe(200);
    await accepted(t.app.url, a);
    expect((await start(a)).status).toBe(200);
    expect(await leads()).toBe(before + 3);

    // Over budget at both doors, with the limit and when to try again.
    const rest = await start(a);
    expect(rest.status).toBe(429);
    const { error } = (await rest.json()) as {
      error: { code: string; message: string; details: { retryAfterSeconds: number } };
    };
    expect(error).toEqual({
      code: 'rate_limited',
      message: expect.stringMatching(
        /^At most 3 new sessions per minute from one address; try again in \d+ s\.$/,
      ),
      details: { limit: 3, window: '1 minute', retryAfterSeconds: expect.any(Number) },
    });
    expect(error.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.details.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(rest.headers.get('retry-after')).toBe(String(error.details.retryAfterSeconds));
    const refusedSocket = await refused(t.app.url, a);
    expect(refusedSocket.data).toEqual({
      code: 'rate_limited',
      message: expect.stringMatching(/^At most 3 new sessions per minute from one address/),
      details: { limit: 3, window: '1 minute', retryAfterSeconds: expect.any(Number) },
    });
    expect(await leads()).toBe(before + 3);

    // A session that exists is resumed, not started: the budget does not apply.
    const [last] = (await t.db.query('select id from leads order by created_at desc limit 1')) as {
      id: string;
    }[];
    const resumed = await visitor(t.app.url, {
      auth: { sessionId: last!.id },
      headers: { 'x-forwarded-for': a },
    });
    expect((await resumed.hello()).resumed).toBe(true);

    // Another address has a budget of its own.
    expect((await start('198.51.100.21')).status).toBe(200);
    await accepted(t.app.url, '198.51.100.21');
    expect(await leads()).toBe(before + 5);
  });
});
