/**
 * The wire protocol in one place: the socket.io event maps of `/chat` and `/agents` (typed as in
 * socket.io's TypeScript guide: `Namespace<ClientToServerEvents, ServerToClientEvents,
 * InterServerEvents, SocketData>`), their payloads and acknowledgements, and the event bus's channels.
 * Types only: the browser bundles import them and nothing of the server comes along.
 */
export type * from './acks.js';
export type * from './agents.js';
export type * from './bus.js';
export type * from './chat.js';
