import type { FastifyInstance } from 'fastify';
import type { ConversationEngine } from '../conversation/engine.js';
import type { SocketServer } from './socket-server.js';

/** How long in-flight requests get to finish on shutdown before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface Transports {
  engine: Pick<ConversationEngine, 'stopAccepting'>;
  sockets: SocketServer;
  http: FastifyInstance;
}

/**
 * Closes the transports without losing an acknowledged event. Stop taking events and let the queued ones
 * commit and answer their callers while the sockets are still open; then disconnect the sockets (an
 * upgraded connection would keep the server open), stop accepting connections and let in-flight
 * requests finish.
 */
export async function closeTransports({ engine, sockets, http }: Transports): Promise<void> {
  await engine.stopAccepting();
  // The acknowledgements of the last events go out before the sockets close.
  await new Promise((resolve) => setImmediate(resolve));
  await sockets.close();
  // A keep-alive connection that goes idle after its last response would hold the close open.
  const sweep = setInterval(() => http.server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => http.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  try {
    await http.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
