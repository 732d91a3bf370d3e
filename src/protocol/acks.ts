import type { WireError } from '../errors.js';

/** An event that went wrong, as `toAck` in src/errors.ts shapes it: the same error REST sends. */
export interface ErrorAck {
  ok: false;
  error: WireError;
}

/** The acknowledgement of an event: its result with `ok: true`, or the error. */
export type Ack<Result extends object = object> = ({ ok: true } & Result) | ErrorAck;

/** What a refused handshake arrives as on the client: `connect_error` with the error in `data`. */
export type HandshakeRefusal = Error & { data?: WireError };

/** Nodes send each other no socket.io events: they share rooms through the Redis adapter and talk on the bus. */
export type InterServerEvents = Record<string, never>;

type WithoutAck<Args> = Args extends [...infer Payload, (response: never) => void] ? Payload : Args;
type FirstOf<Args> = Args extends [infer First, ...unknown[]] ? First : undefined;
type AckIn<Args> = Args extends [...unknown[], (response: infer Response) => void] ? Response : never;

/** The arguments an event of a map is sent with, its acknowledgement callback left out. */
export type PayloadArgs<Events, E extends keyof Events> = E extends keyof Events
  ? Events[E] extends (...args: infer Args) => void
    ? WithoutAck<Args>
    : never
  : never;

/** The payload an event of a map carries (the listener's first argument). */
export type PayloadOf<Events, E extends keyof Events> = FirstOf<PayloadArgs<Events, E>>;

/** What an event of a map is acknowledged with. */
export type AckOf<Events, E extends keyof Events> = E extends keyof Events
  ? Events[E] extends (...args: infer Args) => void
    ? AckIn<Args>
    : never
  : never;

/** The result of an event that succeeded, without its `ok`: what a handler returns. */
export type ResultOf<Events, E extends keyof Events> = Omit<Extract<AckOf<Events, E>, { ok: true }>, 'ok'>;
