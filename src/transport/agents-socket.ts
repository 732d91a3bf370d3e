import type { Namespace, Server } from 'socket.io';
import type { z } from 'zod';
import type { LeadBoard } from '../agents/board.js';
import type { AgentFeed } from '../agents/feed.js';
import type { AgentTokens } from '../agents/tokens.js';
import type { ConversationEngine } from '../conversation/engine.js';
import { AppError, toAck, toWireError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Ack, AckOf, InterServerEvents, ResultOf } from '../protocol/acks.js';
import type {
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  AgentsSocketData,
} from '../protocol/agents.js';
import type { RoutingService } from '../routing/routing.js';
import type { Schemas } from './schemas.js';
import { ackArgs } from './socket.js';
import { TokenBucket } from './token-bucket.js';
import { parseWith } from './validation.js';

export interface AgentsDeps {
  engine: ConversationEngine;
  board: LeadBoard;
  /** What agents see live: board updates, alerts, typing and watched sessions' events. */
  feed: AgentFeed;
  tokens: AgentTokens;
  schemas: Schemas;
  logger: Logger;
  /** Agents' presence (online, away) and their acts on routed leads. */
  routing: Pick<RoutingService, 'agents' | 'router'>;
  /** Each agent socket's event budget (SOCKET_EVENTS_PER_SECOND, SOCKET_EVENT_BURST), as on `/chat`. */
  limits: { socketEventsPerSecond: number; socketEventBurst: number };
}

/** The `/agents` namespace with its event maps (src/protocol/agents.ts). */
export type AgentsNamespace = Namespace<
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  InterServerEvents,
  AgentsSocketData
>;

const watchRoom = (sessionId: string) => `watch:${sessionId}`;

/**
 * The `/agents` namespace: agents authenticate with a token at the handshake, see the live board,
 * get alerts, watch sessions and take them over. What reaches them live comes from the feed, which
 * hears it on the bus from whichever node the visitor is on; each node serves its own agent sockets.
 */
export function attachAgents(io: Server, deps: AgentsDeps): void {
  const { engine, board, feed, tokens, schemas, logger, limits, routing } = deps;
  // socket.io types every namespace with the server's event maps; each of ours has maps of its own.
  const nsp = io.of('/agents') as AgentsNamespace;

  feed.serve({
    hasAgents: () => nsp.sockets.size > 0,
    boardUpdate: (row) => nsp.local.emit('board:update', row),
    alert: (alert) => nsp.local.emit('lead:alert', alert),
    typing: (sessionId, typing) =>
      nsp.local.to(watchRoom(sessionId)).emit('session:typing', { sessionId, typing }),
  });

  nsp.use(async (socket, next) => {
    try {
      socket.data.agent = await tokens.verify(socket.handshake.auth?.token);
      next();
    } catch (err) {
      const wire = toWireError(err);
      next(Object.assign(new Error(wire.message), { data: wire }));
    }
  });

  nsp.on('connection', (socket) => {
    const { agent } = socket.data;
    const ref = { id: agent.id, name: agent.name, role: agent.role };
    const stops = new Map<string, () => void>();
    // A token that expires while connected ends the connection.
    const expiry = setTimeout(
      () => {
        socket.emit('auth:expired', { code: 'unauthorized', message: 'The agent token has expired.' });
        socket.disconnect(true);
      },
      Math.min(2 ** 31 - 1, Math.max(0, agent.expiresAt * 1000 - Date.now())),
    );
    const unwatch = async (sessionId: string) => {
      stops.get(sessionId)?.();
      stops.delete(sessionId);
      await socket.leave(watchRoom(sessionId));
      await announceViewers(nsp, sessionId);
    };
    const present = routing.agents.connected(ref, socket.id).catch((err: unknown) => {
      logger.warn({ err, agentId: ref.id }, 'could not record the agent online');
    });
    socket.on('disconnect', () => {
      void present.then(() => routing.agents.disconnected(ref.id, socket.id)).catch(() => {});
      clearTimeout(expiry);
      for (const id of [...stops.keys()]) void unwatch(id).catch(() => {});
    });

    // Every event, whatever its name, spends from the socket's budget before any handler runs: a list
    // or a watch costs database reads, and a token is no licence to ask for them without end.
    const budget = new TokenBucket(limits.socketEventsPerSecond, limits.socketEventBurst);
    socket.use((packet, next) => {
      if (budget.take()) return next();
      const ack = packet.at(-1);
      if (typeof ack === 'function') {
        ack(
          toAck(
            new AppError(
              'rate_limited',
              `At most ${limits.socketEventsPerSecond} events per second per connection.`,
              {
                limit: limits.socketEventsPerSecond,
                burst: limits.socketEventBurst,
              },
            ),
          ),
        );
      }
    });

    const on = <E extends keyof AgentsClientToServerEvents, S extends z.ZodType>(
      event: E,
      schema: S,
      handle: (payload: z.output<S>) => Promise<ResultOf<AgentsClientToServerEvents, E>>,
    ) => {
      // socket.io cannot type a listener for a generic event name; the handler's result is checked above.
      const name: keyof AgentsClientToServerEvents = event;
      socket.on(name, async (...args: unknown[]) => {
        const { payload, reply } = ackArgs<Ack<ResultOf<AgentsClientToServerEvents, E>>>(args);
        try {
          reply({ ok: true as const, ...(await handle(parseWith(schema, payload ?? undefined))) });
        } catch (err) {
          const response = toAck(err);
          if (response.error.code === 'internal') logger.error({ err, event }, 'agent event failed');
          reply(response);
        }
      });
    };

    on('sessions:list', schemas.sessionsList, async (payload) => ({
      sessions: await board.list(payload?.filter ?? {}, ref.id),
    }));
    on('agent:status', schemas.agentStatus, async ({ status }) => {
      await present;
      await routing.agents.setStatus(ref.id, socket.id, status);
      return {};
    });
    on('lead:contacted', schemas.sessionRef, async ({ sessionId }) => {
      const at = await routing.router.contacted(sessionId, { agentId: ref.id, name: ref.name });
      return { contactedAt: at.toISOString() };
    });

    socket.on('session:watch', async (...args: unknown[]) => {
      const { payload, reply } = ackArgs<AckOf<AgentsClientToServerEvents, 'session:watch'>>(args);
      try {
        const { sessionId, sinceSeq = 0 } = parseWith(schemas.sessionWatch, payload);
        stops.get(sessionId)?.();
        const watching = feed.watch(socket, sessionId, sinceSeq, (opened) => reply({ ok: true, ...opened }));
        stops.set(sessionId, watching.stop);
        await watching.ready;
        await socket.join(watchRoom(sessionId));
        await announceViewers(nsp, sessionId);
      } catch (err) {
        reply(toAck(err));
      }
    });

    on('session:unwatch', schemas.sessionRef, async ({ sessionId }) => {
      await unwatch(sessionId);
      return {};
    });

    on('session:takeover', schemas.sessionRef, async ({ sessionId }) => {
      const r = await engine.agentAct(sessionId, ref, { kind: 'takeover' });
      return { takenOverBy: r.takenOverBy, state: r.state };
    });
    on('session:release', schemas.sessionRef, async ({ sessionId }) => {
      const r = await engine.agentAct(sessionId, ref, { kind: 'release' });
      return { takenOverBy: r.takenOverBy, state: r.state };
    });
    // Not acknowledged and never stored: relayed to the visitor's tabs on whichever node they are.
    socket.on('agent:typing', (payload: unknown) => {
      const parsed = schemas.agentTyping.safeParse(payload);
      if (parsed.success) feed.agentTyping(parsed.data.sessionId, agent.name, parsed.data.typing);
    });
    on('agent:message', schemas.agentMessage, async ({ sessionId, text }) => {
      await engine.agentAct(sessionId, ref, { kind: 'message', text });
      return {};
    });
  });
}

/** Tells the watchers of a session who is viewing it (across nodes, through the adapter). */
async function announceViewers(nsp: AgentsNamespace, sessionId: string): Promise<void> {
  const sockets = await nsp.in(watchRoom(sessionId)).fetchSockets();
  const seen = new Map<string, { agentId: string; name: string }>();
  for (const { data } of sockets) {
    if (data.agent) seen.set(data.agent.id, { agentId: data.agent.id, name: data.agent.name });
  }
  nsp.to(watchRoom(sessionId)).emit('session:viewers', { sessionId, viewers: [...seen.values()] });
}
