import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import type { Config } from '../config.js';
import type { AddressLimits } from '../scaling/limits.js';
import { type AgentsDeps, attachAgents } from './agents-socket.js';
import { clientAddress, trustProxyFn } from './client-address.js';
import { ConnectionCap } from './connection-cap.js';
import { EngineConnections } from './engine-connections.js';
import { originAllowed } from './http.js';
import { attachChat, type ChatDeps } from './socket.js';

/** How long, on shutdown, polling clients get to collect their last acknowledgements. */
const FLUSH_GRACE_MS = 2_000;

export interface SocketServerDeps {
  config: Pick<Config, 'corsOrigins' | 'trustProxy' | 'limits'>;
  /** SESSION_STARTS_PER_MINUTE per client address, asked before a handshake starts a session. */
  limits: Pick<AddressLimits, 'sessionStart'>;
  /** socket.io's Redis adapter when other nodes share the rooms. */
  adapter?: ServerOptions['adapter'];
  chat: Omit<ChatDeps, 'limits' | 'startSession' | 'clustered'>;
  agents: Omit<AgentsDeps, 'limits'>;
}

/** The socket.io server with its namespaces, and how it closes. */
export interface SocketServer {
  io: Server;
  /**
   * Disconnects every socket, closes each engine.io connection once what is buffered for it is out
   * (a polling client gets FLUSH_GRACE_MS to collect it), then closes engine.io.
   */
  close(): Promise<void>;
}

/**
 * socket.io on the HTTP server: every handshake checked for its origin and counted against
 * MAX_CONNECTIONS_PER_IP, the Redis adapter when clustered, and the `/chat` and `/agents` namespaces.
 */
export function createSocketServer(server: HttpServer, deps: SocketServerDeps): SocketServer {
  const { config, adapter } = deps;
  // The client address as REST sees it (the same TRUST_PROXY trust function).
  const trust = trustProxyFn(config.trustProxy);
  const addressOf = (req: IncomingMessage) => clientAddress(req, trust);
  const cap = new ConnectionCap(config.limits.connectionsPerIp, addressOf);
  const io = new Server(server, {
    maxHttpBufferSize: config.limits.socketMessageBytes,
    // Every handshake passes here, and nothing else. The `cors` option alone does not stop a
    // cross-origin WebSocket upgrade; this does. Then the per-address connection cap.
    allowRequest: (req, done) => {
      if (!originAllowed(config.corsOrigins, req.headers.origin)) return done(null, false);
      const refused = cap.admit(req);
      done(refused ?? null, refused === undefined);
    },
    cors: { origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins },
    // Longer than nginx's read timeout must be; see deploy/nginx.conf.
    pingInterval: 25_000,
    pingTimeout: 20_000,
  });
  if (adapter) io.adapter(adapter);
  cap.watch(io.engine);
  const connections = new EngineConnections(io.engine);
  attachChat(io, {
    ...deps.chat,
    limits: config.limits,
    startSession: (req) => deps.limits.sessionStart(addressOf(req)),
    clustered: adapter !== undefined,
  });
  attachAgents(io, { ...deps.agents, limits: config.limits });
  return {
    io,
    close: async () => {
      for (const name of ['/chat', '/agents', '/']) io.of(name).local.disconnectSockets(true);
      // A polling client collects those (and the goodbye) with its next request: wait for it.
      await connections.closeFlushed(FLUSH_GRACE_MS);
      io.engine.close();
    },
  };
}
