import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { LeadBoard } from '../agents/board.js';
import type { Agent, AgentTokens } from '../agents/tokens.js';
import { Watchers } from '../agents/watchers.js';
import type { ConversationEngine } from '../conversation/engine.js';
import {
  SESSION_EVENTS,
  type SessionEventMessage,
  VISITOR_PRESENCE,
  VISITOR_TYPING,
} from '../conversation/events.js';
import { AppError, toAck, toWireError } from '../errors.js';
import { type BoardRow, leadData, scoreBreakdown } from '../leads/views.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../scaling/bus.js';
import { listLimit, type Schemas, seqCursor, text } from './schemas.js';
import { ackArgs } from './socket.js';
import { TokenBucket } from './token-bucket.js';
import { parseWith } from './validation.js';

export interface AgentsDeps {
  engine: ConversationEngine;
  board: LeadBoard;
  tokens: AgentTokens;
  bus: EventBus;
  schemas: Schemas;
  logger: Logger;
  /** Each agent socket's event budget (SOCKET_EVENTS_PER_SECOND, SOCKET_EVENT_BURST), as on `/chat`. */
  limits: { socketEventsPerSecond: number; socketEventBurst: number };
  /** Board updates of one session are sent at most once per this many ms. */
  boardIntervalMs?: number;
}

const watchRoom = (sessionId: string) => `watch:${sessionId}`;

/**
 * The `/agents` namespace: agents authenticate with a token at the handshake, see the live board,
 * get alerts, watch sessions and take them over. Events reach this node on the bus from whichever
 * node the visitor is on; each node serves its own agent sockets.
 */
export function attachAgents(io: Server, deps: AgentsDeps): void {
  const { engine, board, tokens, bus, schemas, logger, limits } = deps;
  const nsp = io.of('/agents');
  const watchers = new Watchers((id, since) => engine.eventLog(id, since), logger);
  const coalesce = boardCoalescer(nsp, deps.boardIntervalMs ?? 250);

  const sessionOnly = z.strictObject({ sessionId: schemas.sessionId });
  const watchSchema = z.strictObject({
    sessionId: schemas.sessionId,
    sinceSeq: seqCursor.optional(),
  });
  const messageSchema = z.strictObject({
    sessionId: schemas.sessionId,
    text: text().trim().min(1).max(2000),
  });
  const listSchema = z
    .strictObject({
      filter: z
        .strictObject({
          classification: z.enum(['SQL', 'MQL', 'Unqualified']).optional(),
          state: text().max(32).optional(),
          connected: z.boolean().optional(),
          limit: listLimit.optional(),
        })
        .optional(),
    })
    .optional();

  /** Board and alert work is only worth doing for agents connected to this node. */
  const agentsHere = () => nsp.sockets.size > 0;

  bus.subscribe(SESSION_EVENTS, (m) => {
    watchers.deliver(m.sessionId, m.events);
    if (!agentsHere()) return;
    if (
      m.events.some(
        (e) => e.type === 'score.changed' || e.type === 'state.changed' || e.type.startsWith('agent.'),
      )
    ) {
      coalesce(m.sessionId, async () => ({ ...m.lead, connected: await board.connected(m.sessionId) }));
    }
    if (m.triggers.length > 0) {
      void board
        .connected(m.sessionId)
        .catch(() => false)
        .then((connected) => {
          for (const trigger of m.triggers) {
            nsp.local.emit('lead:alert', { sessionId: m.sessionId, trigger, lead: { ...m.lead, connected } });
          }
        });
    }
  });
  bus.subscribe(VISITOR_PRESENCE, ({ sessionId }) => {
    if (!agentsHere()) return;
    coalesce(sessionId, () => board.row(sessionId));
  });
  bus.subscribe(VISITOR_TYPING, ({ sessionId }) => {
    nsp.local.to(watchRoom(sessionId)).emit('session:typing', { sessionId });
  });
  bus.onResync(() => watchers.resync());

  nsp.use(async (socket, next) => {
    try {
      socket.data.agent = await tokens.verify(
        (socket.handshake.auth as { token?: unknown } | undefined)?.token,
      );
      next();
    } catch (err) {
      const wire = toWireError(err);
      next(Object.assign(new Error(wire.message), { data: wire }));
    }
  });

  nsp.on('connection', (socket: Socket) => {
    const agent = socket.data.agent as Agent;
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
    socket.on('disconnect', () => {
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

    const on = <S extends z.ZodType>(
      event: string,
      schema: S,
      handle: (payload: z.output<S>) => Promise<unknown>,
    ) => {
      socket.on(event, async (...args: unknown[]) => {
        const { payload, reply } = ackArgs(args);
        try {
          reply({ ok: true, ...((await handle(parseWith(schema, payload ?? undefined))) as object) });
        } catch (err) {
          const response = toAck(err);
          if (response.error.code === 'internal') logger.error({ err, event }, 'agent event failed');
          reply(response);
        }
      });
    };

    on('sessions:list', listSchema, async (payload) => ({
      sessions: await board.list(payload?.filter ?? {}),
    }));

    socket.on('session:watch', async (...args: unknown[]) => {
      const { payload, reply } = ackArgs(args);
      try {
        const { sessionId, sinceSeq = 0 } = parseWith(watchSchema, payload);
        stops.get(sessionId)?.();
        // Registered before the log is read: nothing committed meanwhile is missed.
        const watching = watchers.watch(socket, sessionId, sinceSeq, async () => {
          const [{ lead, ledger }, events] = await Promise.all([
            engine.record(sessionId),
            engine.eventLog(sessionId, sinceSeq),
          ]);
          const connected = await board.connected(sessionId).catch(() => false);
          reply({
            ok: true,
            lead: {
              sessionId,
              state: lead.state,
              utmSource: lead.utmSource ?? null,
              startedAt: lead.createdAt.toISOString(),
              lastActivityAt: lead.lastActivityAt.toISOString(),
              takenOverBy: lead.takenOverBy ?? null,
              connected,
              ...leadData(lead),
            },
            breakdown: ledger.map((e) => ({ ...e, at: e.at.toISOString() })),
            summary: scoreBreakdown(ledger),
            events,
          });
          return events;
        });
        stops.set(sessionId, watching.stop);
        await watching.ready;
        await socket.join(watchRoom(sessionId));
        await announceViewers(nsp, sessionId);
      } catch (err) {
        reply(toAck(err));
      }
    });

    on('session:unwatch', sessionOnly, async ({ sessionId }) => {
      await unwatch(sessionId);
      return {};
    });

    on('session:takeover', sessionOnly, async ({ sessionId }) => {
      const r = await engine.agentAct(sessionId, ref, { kind: 'takeover' });
      return { takenOverBy: r.takenOverBy, state: r.state };
    });
    on('session:release', sessionOnly, async ({ sessionId }) => {
      const r = await engine.agentAct(sessionId, ref, { kind: 'release' });
      return { takenOverBy: r.takenOverBy, state: r.state };
    });
    on('agent:message', messageSchema, async ({ sessionId, text }) => {
      await engine.agentAct(sessionId, ref, { kind: 'message', text });
      return {};
    });
  });
}

/** Tells the watchers of a session who is viewing it (across nodes, through the adapter). */
async function announceViewers(nsp: Namespace, sessionId: string): Promise<void> {
  const sockets = await nsp.in(watchRoom(sessionId)).fetchSockets();
  const seen = new Map<string, { agentId: string; name: string }>();
  for (const s of sockets) {
    const a = s.data.agent as Agent | undefined;
    if (a) seen.set(a.id, { agentId: a.id, name: a.name });
  }
  nsp.to(watchRoom(sessionId)).emit('session:viewers', { sessionId, viewers: [...seen.values()] });
}

/** At most one `board:update` per session per interval, carrying the latest row. */
function boardCoalescer(nsp: Namespace, intervalMs: number) {
  const pending = new Map<string, () => Promise<BoardRow | null>>();
  const timers = new Map<string, NodeJS.Timeout>();
  return (sessionId: string, row: () => Promise<BoardRow | null>) => {
    pending.set(sessionId, row);
    if (timers.has(sessionId)) return;
    const flush = () => {
      const next = pending.get(sessionId);
      pending.delete(sessionId);
      if (!next) {
        timers.delete(sessionId);
        return;
      }
      void next()
        .then((r) => r && nsp.local.emit('board:update', r))
        .catch(() => {});
      timers.set(sessionId, setTimeout(flush, intervalMs).unref());
    };
    flush();
  };
}

export type { SessionEventMessage };
