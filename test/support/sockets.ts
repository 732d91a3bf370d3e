import { io, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { WireError } from '../../src/errors.js';
import type {
  Ack,
  AckOf,
  AgentsAuth,
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  BotMessage,
  ChatAuth,
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  ErrorAck,
  HandshakeRefusal,
  PayloadArgs,
  PayloadOf,
  SessionEventMessage,
  SessionHello,
  VisitorAck,
} from '../../src/protocol/index.js';
import type { StepPayload, VisitorEvent } from './journey.js';
import { waitFor } from './time.js';

/**
 * The tests' socket.io clients, typed by the server's protocol (src/protocol/): what a test sends and
 * receives is checked against the same maps the server, the widget and the console use. One client
 * for both namespaces keeps everything it received and waits for what a test expects, failing instead
 * of hanging; `VisitorClient` adds what a visitor does on /chat.
 */

/** A visitor's socket on `/chat`. */
export type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;
/** An agent's socket on `/agents`. */
export type AgentsSocket = Socket<AgentsServerToClientEvents, AgentsClientToServerEvents>;

/** A socket.io transport: WebSocket, or HTTP long-polling. */
export type Transport = 'websocket' | 'polling';

/** How long a client's waits and acknowledgements may take, unless it is told otherwise. */
export const WAIT_MS = 5000;

/** How a test client connects. */
export interface ClientOptions<Auth> {
  /** The handshake's auth, or anything a broken client might send there: the server judges it. */
  auth?: Auth | Record<string, unknown>;
  /** The transports in the order tried: WebSocket only unless said otherwise. */
  transports?: Transport[];
  /** Whether socket.io reconnects by itself: off unless a test wants it. */
  reconnection?: boolean;
  /** Handshake headers (Origin, X-Forwarded-For). */
  headers?: Record<string, string>;
  /** How long the client's waits and acknowledgements may take (WAIT_MS). */
  waitMs?: number;
}

/** A new connection (never a shared manager), closed by the caller or by `closeClients`. */
export function connectSocket(url: string, namespace: '/chat', options?: ClientOptions<ChatAuth>): ChatSocket;
export function connectSocket(
  url: string,
  namespace: '/agents',
  options?: ClientOptions<AgentsAuth>,
): AgentsSocket;
export function connectSocket(
  url: string,
  namespace: '/chat' | '/agents',
  { auth = {}, transports = ['websocket'], reconnection = false, headers }: ClientOptions<object> = {},
): ChatSocket | AgentsSocket {
  const socket = io(`${url}${namespace}`, {
    auth,
    transports,
    reconnection,
    forceNew: true,
    ...(headers ? { extraHeaders: headers } : {}),
  });
  opened.add(socket);
  return socket;
}

const opened = new Set<Socket>();

/** Closes every socket opened since the last call: the `afterEach` of the files that open them. */
export function closeClients(): void {
  for (const socket of opened) socket.close();
  opened.clear();
}

let lastId = 0;

/** A clientMessageId not used before by this test file. */
export function messageId(): string {
  lastId += 1;
  return `m-${lastId}`;
}

/**
 * The same socket as a client that breaks the protocol on purpose: any event, any payload (the tests of
 * bad input). Everything else goes through the typed socket.
 */
export function unchecked(socket: ChatSocket | AgentsSocket): Socket {
  return socket;
}

/**
 * `socket.timeout(ms).emitWithAck(event, payload)`, answered with the acknowledgement the map declares
 * (socket.io-client types the answer of a timed emit as `any`).
 */
export function ask<E extends keyof ChatClientToServerEvents>(
  socket: ChatSocket,
  ms: number,
  event: E,
  ...args: PayloadArgs<ChatClientToServerEvents, E>
): Promise<AckOf<ChatClientToServerEvents, E>>;
export function ask<E extends keyof AgentsClientToServerEvents>(
  socket: AgentsSocket,
  ms: number,
  event: E,
  ...args: PayloadArgs<AgentsClientToServerEvents, E>
): Promise<AckOf<AgentsClientToServerEvents, E>>;
export function ask(socket: ChatSocket | AgentsSocket, ms: number, event: string, ...args: unknown[]) {
  return unchecked(socket)
    .timeout(ms)
    .emitWithAck(event, ...args);
}

/** Fails the test, showing what came back, unless the acknowledgement says ok; then it is typed as such. */
export function expectOk<A extends { ok: boolean }>(ack: A): asserts ack is Extract<A, { ok: true }> {
  expect(ack.ok, `expected a successful ack, got ${JSON.stringify(ack)}`).toBe(true);
}

/** A socket.io client with everything it received, and waits that fail instead of hanging. */
export class Client<
  Listen extends ChatServerToClientEvents | AgentsServerToClientEvents,
  Emit extends ChatClientToServerEvents | AgentsClientToServerEvents,
> {
  /** Every event the server sent, in arrival order, with the time it came. */
  readonly events: { event: string; data: unknown; at: number }[] = [];
  connectError: HandshakeRefusal | undefined;
  disconnectReason: string | undefined;
  private accepted = false;

  constructor(
    readonly socket: Socket<Listen, Emit>,
    readonly waitMs = WAIT_MS,
  ) {
    socket.onAny((event: string, ...args: unknown[]) =>
      this.events.push({ event, data: args[0], at: Date.now() }),
    );
    socket.on('connect', () => {
      this.accepted = true;
    });
    socket.on('connect_error', (err: HandshakeRefusal) => {
      this.connectError = err;
    });
    socket.on('disconnect', (reason: string) => {
      this.disconnectReason = reason;
    });
  }

  /** Every received `event` whose payload passes `where`, in arrival order. */
  received<E extends keyof Listen & string>(
    event: E,
    where: (data: PayloadOf<Listen, E>) => boolean = () => true,
  ): PayloadOf<Listen, E>[] {
    // Recorded by onAny, which knows no names: the map says what each one carries.
    const payloads = this.events.filter((e) => e.event === event).map((e) => e.data as PayloadOf<Listen, E>);
    return payloads.filter(where);
  }

  /** The n-th (0-based) received `event` passing `where`. */
  nth<E extends keyof Listen & string>(
    event: E,
    where: (data: PayloadOf<Listen, E>) => boolean = () => true,
    n = 0,
    ms = this.waitMs,
  ): Promise<PayloadOf<Listen, E>> {
    return waitFor(`${event} #${n}`, () => this.received(event, where)[n], ms);
  }

  /** The first `event` passing `where` that arrives after this call. */
  next<E extends keyof Listen & string>(
    event: E,
    where: (data: PayloadOf<Listen, E>) => boolean = () => true,
    ms = this.waitMs,
  ): Promise<PayloadOf<Listen, E>> {
    const from = this.events.length;
    return waitFor(
      `the next ${event}`,
      () =>
        this.events
          .slice(from)
          .filter((e) => e.event === event)
          .map((e) => e.data as PayloadOf<Listen, E>)
          .find(where),
      ms,
    );
  }

  /** Resolves once the namespace accepted the connection; fails at once if it refused it. */
  connected(): Promise<true> {
    return waitFor(
      'connect',
      () => {
        if (this.connectError) throw new Error(`connect_error: ${refusalText(this.connectError)}`);
        return this.accepted || undefined;
      },
      this.waitMs,
    );
  }

  /** The refusal of the handshake; fails if the connection was accepted. */
  refused(): Promise<HandshakeRefusal> {
    return waitFor(
      'connect_error',
      () => {
        if (this.accepted) throw new Error('the connection was accepted');
        return this.connectError;
      },
      this.waitMs,
    );
  }

  /** Why the connection ended, once it has. */
  disconnected(ms = this.waitMs): Promise<string> {
    return waitFor('disconnect', () => this.disconnectReason, ms);
  }

  /** Sends any payload at all (or none), as a broken client might: the server judges it. */
  ack<E extends keyof Emit & string>(event: E, payload?: unknown): Promise<AckOf<Emit, E>> {
    const s = unchecked(this.socket).timeout(this.waitMs);
    return payload === undefined ? s.emitWithAck(event) : s.emitWithAck(event, payload);
  }

  /** Sends and expects success: the acknowledgement, typed as such. */
  async ok<E extends keyof Emit & string>(
    event: E,
    payload?: PayloadOf<Emit, E>,
  ): Promise<Extract<AckOf<Emit, E>, { ok: true }>> {
    const a: Ack = await this.ack(event, payload);
    expect(a.ok, `expected ${event} to succeed, got ${JSON.stringify(a)}`).toBe(true);
    return a as Extract<AckOf<Emit, E>, { ok: true }>;
  }

  /** Sends anything and expects the refusal `code`: the error. */
  async fails(event: keyof Emit & string, payload: unknown, code: string): Promise<WireError> {
    const a: Ack = await this.ack(event, payload);
    expect(a.ok, `expected ${event} to fail with ${code}, got ${JSON.stringify(a)}`).toBe(false);
    const { error } = a as ErrorAck;
    expect(error.code, error.message).toBe(code);
    expect(typeof error.message).toBe('string');
    return error;
  }

  /** Expects no acknowledgement at all within `ms`, whatever the event (one of another namespace too). */
  async noAck(event: string, payload: unknown, ms = 500): Promise<void> {
    await expect(unchecked(this.socket).timeout(ms).emitWithAck(event, payload)).rejects.toThrow(/timed out/);
  }

  close(): void {
    this.socket.close();
  }
}

function refusalText(refusal: HandshakeRefusal): string {
  return `${refusal.message} ${JSON.stringify(refusal.data)}`;
}

/** A visitor event's acknowledgement that said ok. */
export type OkAck = Extract<VisitorAck, { ok: true }>;

/** One connection of a visitor on /chat. */
export class VisitorClient extends Client<ChatServerToClientEvents, ChatClientToServerEvents> {
  /** The `session` event; fails at once if the handshake is refused or the connection ends first. */
  hello(ms = this.waitMs): Promise<SessionHello> {
    return waitFor(
      'the session event',
      () => {
        if (this.connectError) throw new Error(`connect_error: ${refusalText(this.connectError)}`);
        const hello = this.received('session')[0];
        if (!hello && this.disconnectReason)
          throw new Error(`disconnected before the session event (${this.disconnectReason})`);
        return hello;
      },
      ms,
    );
  }

  /** The session of this connection (once `hello()` has resolved). */
  get sessionId(): string {
    const hello = this.received('session')[0];
    if (!hello) throw new Error('no session event yet: await hello() first');
    return hello.sessionId;
  }

  /** Every bot message received, in order. */
  get messages(): BotMessage[] {
    return this.received('bot:message');
  }

  /** The i-th (0-based) bot message. */
  message(i: number): Promise<BotMessage> {
    return this.nth('bot:message', undefined, i);
  }

  /** A visitor event with a clientMessageId of its own: the acknowledgement, whatever it says. */
  send(event: VisitorEvent, payload: StepPayload): Promise<VisitorAck> {
    return this.ack(event, { clientMessageId: messageId(), ...payload });
  }

  /** A visitor event with a clientMessageId of its own, expected to succeed. */
  say(event: VisitorEvent, payload: StepPayload): Promise<OkAck> {
    return this.ok(event, { clientMessageId: messageId(), ...payload });
  }
}

/** An agent's connection on /agents. */
export type AgentClient = Client<AgentsServerToClientEvents, AgentsClientToServerEvents>;

/** A visitor's connection, not waited for (a test that expects a refusal waits for that instead). */
export function openVisitor(url: string, options: ClientOptions<ChatAuth> = {}): VisitorClient {
  return new VisitorClient(connectSocket(url, '/chat', options), options.waitMs);
}

/** A visitor's connection, once the server has put it in its session. */
export async function visitor(url: string, options: ClientOptions<ChatAuth> = {}): Promise<VisitorClient> {
  const client = openVisitor(url, options);
  await client.hello();
  return client;
}

/** An agent's connection, not waited for. */
export function openAgent(url: string, options: ClientOptions<AgentsAuth> = {}): AgentClient {
  return new Client(connectSocket(url, '/agents', options), options.waitMs);
}

/**
 * An agent watching one session from `sinceSeq`, reconnecting by itself (its node or Redis may go away
 * under it): the agent's client, and every event of the session it was given, by the watch's answer or
 * live, in the order they came.
 */
export async function watchSession(
  url: string,
  token: string,
  sessionId: string,
  sinceSeq = 0,
): Promise<{ agent: AgentClient; events: SessionEventMessage[] }> {
  const agent = openAgent(url, { auth: { token }, reconnection: true, waitMs: 10_000 });
  const events: SessionEventMessage[] = [];
  agent.socket.on('session:event', (e) => events.push(e));
  await agent.connected();
  events.push(...(await agent.ok('session:watch', { sessionId, sinceSeq })).events);
  return { agent, events };
}
