import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type {
  AckOf,
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  PayloadArgs,
} from '../../src/protocol/index.js';

/**
 * socket.io clients typed by the server's protocol (src/protocol/): what a test sends and receives is
 * checked against the same maps the server, the widget and the console use.
 */

/** A visitor's client on `/chat`. */
export type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;
/** An agent's client on `/agents`. */
export type AgentsSocket = Socket<AgentsServerToClientEvents, AgentsClientToServerEvents>;

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
