import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { Agent, AgentTokens } from '../agents/tokens.js';
import type { ConversationEngine } from '../conversation/engine.js';
import { type CommittedMessage, SESSION_EVENTS, type SessionEventMessage } from '../conversation/events.js';
import { toAck, toWireError } from '../errors.js';
import { leadData, scoreBreakdown } from '../leads/views.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../scaling/bus.js';
import type { Schemas } from './schemas.js';
import { parseWith } from './validation.js';

export interface AgentsDeps {
  engine: ConversationEngine;
  tokens: AgentTokens;
  bus: EventBus;
  schemas: Schemas;
  logger: Logger;
}

type Ack = (response: unknown) => void;

/** One agent socket watching one session: events reach it once each, in `seq` order. */
interface Watcher {
  socket: Socket;
  sessionId: string;
  lastSeq: number;
  /** Deliveries run one after another, so a gap being filled from the log holds back what follows. */
  chain: Promise<void>;
}

/**
 * The `/agents` namespace: agents authenticate with a token at the handshake and watch sessions.
 * Committed events arrive on the bus (from any node) and go to this node's watchers; a watcher that
 * sees a gap in `seq` (a lost bus message, a Redis restart) reads what it missed from the event log.
 */
export function attachAgents(io: Server, deps: AgentsDeps): void {
  const { engine, tokens, bus, schemas, logger } = deps;
  const nsp = io.of('/agents');
  const watchers = new Map<string, Set<Watcher>>();
  const watchSchema = z.strictObject({
    sessionId: schemas.sessionId,
    sinceSeq: z.number().int().min(0).optional(),
  });
  const unwatchSchema = z.strictObject({ sessionId: schemas.sessionId });

  const emitInOrder = async (w: Watcher, events: SessionEventMessage[]) => {
    for (const e of events.sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= w.lastSeq) continue;
      if (e.seq > w.lastSeq + 1) {
        const missed = await engine.eventLog(w.sessionId, w.lastSeq);
        for (const m of missed) if (m.seq > w.lastSeq && m.seq < e.seq) emit(w, m);
      }
      emit(w, e);
    }
  };
  const emit = (w: Watcher, e: SessionEventMessage) => {
    w.lastSeq = e.seq;
    w.socket.emit('session:event', e);
  };
  const deliver = (w: Watcher, events: SessionEventMessage[]) => {
    w.chain = w.chain
      .then(() => emitInOrder(w, events))
      .catch((err: unknown) =>
        logger.warn({ err, sessionId: w.sessionId }, 'could not deliver to a watcher'),
      );
  };

  bus.subscribe(SESSION_EVENTS, (payload) => {
    const message = payload as CommittedMessage;
    for (const w of watchers.get(message.sessionId) ?? []) deliver(w, message.events);
  });
  // After a bus outage every watcher reads what it may have missed.
  bus.onResync(() => {
    for (const set of watchers.values()) {
      for (const w of set) {
        w.chain = w.chain
          .then(async () => {
            for (const e of await engine.eventLog(w.sessionId, w.lastSeq)) if (e.seq > w.lastSeq) emit(w, e);
          })
          .catch((err: unknown) =>
            logger.warn({ err, sessionId: w.sessionId }, 'could not resync a watcher'),
          );
      }
    }
  });

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
    const mine = new Map<string, Watcher>();
    // A token that expires while connected ends the connection.
    const expiry = setTimeout(
      () => {
        socket.emit('auth:expired', { code: 'unauthorized', message: 'The agent token has expired.' });
        socket.disconnect(true);
      },
      Math.max(0, agent.expiresAt * 1000 - Date.now()),
    );
    const stopWatching = (sessionId: string) => {
      const w = mine.get(sessionId);
      if (!w) return;
      mine.delete(sessionId);
      watchers.get(sessionId)?.delete(w);
      if (watchers.get(sessionId)?.size === 0) watchers.delete(sessionId);
    };
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      for (const id of [...mine.keys()]) stopWatching(id);
    });

    socket.on('session:watch', async (payload: unknown, ack?: Ack) => {
      const reply: Ack = typeof ack === 'function' ? ack : () => {};
      try {
        const { sessionId, sinceSeq = 0 } = parseWith(watchSchema, payload);
        stopWatching(sessionId);
        // Registered before the log is read, so nothing committed meanwhile is missed; live events
        // queue behind the initial read and skip what it already returned.
        const w: Watcher = { socket, sessionId, lastSeq: sinceSeq, chain: Promise.resolve() };
        mine.set(sessionId, w);
        watchers.set(sessionId, (watchers.get(sessionId) ?? new Set()).add(w));
        let initial: Promise<void>;
        w.chain = initial = (async () => {
          const [{ lead, ledger }, events] = await Promise.all([
            engine.record(sessionId),
            engine.eventLog(sessionId, sinceSeq),
          ]);
          w.lastSeq = Math.max(sinceSeq, ...events.map((e) => e.seq));
          reply({
            ok: true,
            lead: {
              sessionId,
              state: lead.state,
              utmSource: lead.utmSource ?? null,
              startedAt: lead.createdAt.toISOString(),
              lastActivityAt: lead.lastActivityAt.toISOString(),
              ...leadData(lead),
            },
            breakdown: ledger.map((e) => ({ ...e, at: e.at.toISOString() })),
            summary: scoreBreakdown(ledger),
            events,
          });
        })();
        await initial.catch((err: unknown) => {
          stopWatching(sessionId);
          throw err;
        });
      } catch (err) {
        reply(toAck(err));
      }
    });

    socket.on('session:unwatch', (payload: unknown, ack?: Ack) => {
      const reply: Ack = typeof ack === 'function' ? ack : () => {};
      try {
        stopWatching(parseWith(unwatchSchema, payload).sessionId);
        reply({ ok: true });
      } catch (err) {
        reply(toAck(err));
      }
    });
  });
}
