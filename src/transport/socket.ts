import type { IncomingMessage } from 'node:http';
import type { Namespace, Server } from 'socket.io';
import type { z } from 'zod';
import type { VisitorPresence } from '../agents/presence.js';
import type { VisitorCommand } from '../conversation/commands.js';
import type { ConversationEngine } from '../conversation/engine.js';
import { HISTORY_EVENTS, visitorHistory } from '../conversation/history.js';
import { resumeVisit } from '../conversation/returning.js';
import type { EventResult } from '../conversation/types.js';
import { AppError, toAck, toWireError } from '../errors.js';
import { AUTH_KEYS, touchFrom } from '../leads/attribution.js';
import { visitorKeys } from '../leads/identity.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { InterServerEvents } from '../protocol/acks.js';
import {
  type CallbackAck,
  CHAT_PROTOCOL,
  type ChatClientToServerEvents,
  type ChatServerToClientEvents,
  type ChatSocketData,
  type Opening,
  type SessionHello,
  type VisitorAck,
} from '../protocol/chat.js';
import type { OfferAsked } from '../routing/callback-offer.js';
import { matchLocale, negotiateLocale } from '../workflow/locales.js';
import { inVisitorLanguage, widgetLabels } from '../workflow/messages.js';
import type { Schemas } from './schemas.js';
import { TokenBucket } from './token-bucket.js';
import { parseWith } from './validation.js';

export interface ChatDeps {
  engine: ConversationEngine;
  /** Told of each visitor connection: the agents' board and watchers see who is online and typing. */
  presence: VisitorPresence;
  schemas: Schemas;
  metrics: Metrics;
  logger: Logger;
  limits: { socketEventsPerSecond: number; socketEventBurst: number };
  /** Asked before a handshake starts a new session (not a resume): SESSION_STARTS_PER_MINUTE. */
  startSession?: (req: IncomingMessage) => Promise<void>;
  /** Whether the lead's team is after hours now (src/routing/after-hours.ts), for its `session` greeting. */
  afterHours?: (lead: SessionLead) => Promise<SessionHello['afterHours'] | null>;
  /**
   * After a visitor event: when it asked for a person after hours, the bot asks when to call back
   * (src/routing/callback-offer.ts); the offer goes in the event's acknowledgement.
   */
  callbackOffer?: (sessionId: string, result: EventResult, origin?: string) => Promise<OfferAsked | null>;
  /** After hours, stores the time a visitor asks to be called back (src/routing/callbacks.ts). */
  callback?: (
    sessionId: string,
    time: string,
  ) => Promise<{ callbackAt: string; label: string; confirmation: string }>;
  /** IDENTITY_SECRET: verifies the host site's signed user ids (src/leads/identity.ts). */
  identitySecret?: string | undefined;
  /** Other nodes share the rooms (the Redis adapter); without them, a room with no local socket is empty. */
  clustered?: boolean;
}

/** The stored lead as a session start or resume hands it over (the engine's, never the store's type). */
type SessionLead = Awaited<ReturnType<ConversationEngine['startSession']>>['lead'];

/** The `/chat` namespace with its event maps (src/protocol/chat.ts). */
export type ChatNamespace = Namespace<
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  InterServerEvents,
  ChatSocketData
>;

/**
 * An event's payload and ack: socket.io puts the ack first when the client sent no payload, and a
 * client may send anything at all, so the payload is parsed before it is believed.
 */
export function ackArgs<Response>(args: unknown[]): {
  payload: unknown;
  reply: (response: Response) => void;
} {
  const last = args.at(-1);
  const reply = typeof last === 'function' ? (last as (response: Response) => void) : () => {};
  return { payload: typeof args[0] === 'function' ? undefined : args[0], reply };
}

/** The room every connection of one session is in: bot messages reach all the visitor's tabs. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/**
 * The `/chat` namespace. The handshake starts or resumes a session; each visitor event is validated,
 * handed to the engine and acknowledged with the outcome or the error. Nothing here knows the flow.
 */
export function attachChat(io: Server, deps: ChatDeps): void {
  const { engine, presence, schemas, metrics, logger, limits } = deps;
  // socket.io types every namespace with the server's event maps; each of ours has maps of its own.
  const chat = io.of('/chat') as ChatNamespace;
  // Bot and agent messages go to every connection of the session, whichever door or node caused them.
  engine.onCommitted(({ sessionId, prompts, events, origin }) => {
    // Nobody to tell (a REST visitor, one who left, or a protocol-2 sender alone in its session, who
    // has the replies in its ack; a visitor's event carries no agent act): skip encoding packets.
    if (!deps.clustered) {
      const here = chat.adapter.rooms.get(sessionRoom(sessionId));
      if (!here || (origin !== undefined && here.size === 1 && here.has(origin))) return;
    }
    const room = chat.to(sessionRoom(sessionId));
    for (const e of events) {
      if (!e.type.startsWith('agent.')) continue;
      // The log entry of an agent's act (src/conversation/agent-acts.ts); only a message has text.
      const agent = e.data as { name: string; text: string };
      const at = e.at.toISOString();
      if (e.type === 'agent.joined') room.emit('agent:joined', { name: agent.name, at });
      else if (e.type === 'agent.left') room.emit('agent:left', { name: agent.name, at });
      else if (e.type === 'agent.message')
        room.emit('agent:message', { seq: e.seq, name: agent.name, text: agent.text, at });
    }
    if (prompts.length === 0) return;
    // A protocol-2 sender has the bot's replies in its ack: the others of the room get them here.
    const others = origin === undefined ? room : room.except(origin);
    for (const m of prompts) others.emit('bot:message', m);
  });

  // An agent typing on any node reaches the visitor's connections on this one.
  presence.onAgentTyping(({ sessionId, name, typing }) =>
    chat.local.to(sessionRoom(sessionId)).emit('agent:typing', { typing, name }),
  );

  // One /chat socket per engine.io connection. socket.io runs this middleware for every CONNECT packet
  // that arrives while an earlier one is still waiting in it, so one connection could otherwise start a
  // session per packet. The claim is checked and taken before the first await: CONNECTs that arrive
  // together cannot race past it. It is given back when the socket leaves or its handshake fails.
  const claimed = new WeakMap<object, string>();
  const refuse = (next: (err: Error) => void, err: unknown) => {
    const wire = toWireError(err);
    next(Object.assign(new Error(wire.message), { data: wire }));
  };
  chat.use(async (socket, next) => {
    const conn = socket.conn;
    if (claimed.has(conn)) return refuse(next, new AppError('already_connected'));
    claimed.set(conn, socket.id);
    const release = () => {
      if (claimed.get(conn) === socket.id) claimed.delete(conn);
    };
    socket.once('disconnect', release);
    try {
      const auth = parseWith(schemas.chatAuth, socket.handshake.auth ?? {});
      const asked = { locale: auth.locale, acceptLanguage: socket.handshake.headers['accept-language'] };
      // Refused on a resume too: a wrongly signed identity never gets a session.
      const keys = visitorKeys(deps.identitySecret, auth.visitorId, auth.identity);
      const { sessionId, lead, ...opening } = await openSession(engine, schemas, auth, keys, asked, () =>
        deps.startSession ? deps.startSession(socket.request) : Promise.resolve(),
      );
      const after = deps.afterHours ? await deps.afterHours(lead).catch(() => null) : null;
      if (after) opening.hello.afterHours = after;
      opening.hello.protocol = Math.min(auth.protocol ?? 1, CHAT_PROTOCOL);
      socket.data = { sessionId, opening, ...(opening.hello.protocol >= 2 ? { inAck: true } : {}) };
      next();
    } catch (err) {
      release();
      if (toWireError(err).code === 'internal') logger.error({ err }, 'chat handshake failed');
      refuse(next, err);
    }
  });

  chat.on('connection', (socket) => {
    const { sessionId, opening, inAck } = socket.data;
    // What a connection keeps for its lifetime is only its session id (10,000 idle visitors add up).
    socket.data = { sessionId };
    // Protocol 2: this connection's own events bring the bot's replies in their acks.
    const origin = inAck ? socket.id : undefined;
    metrics.connections.inc();
    const visit = presence.opened(sessionId);
    socket.on('disconnect', () => {
      metrics.connections.dec();
      visit.closed();
    });
    void socket.join(sessionRoom(sessionId));
    if (opening) {
      socket.emit('session', opening.hello);
      for (const m of opening.messages) socket.emit('bot:message', m);
      logger.debug({ sessionId, resumed: opening.hello.resumed }, 'visitor connected');
    }

    const budget = new TokenBucket(limits.socketEventsPerSecond, limits.socketEventBurst);
    // The language refusals are worded in; it follows the visitor's switches made on this socket.
    let locale = opening?.hello.locale ?? null;
    const overBudget = () =>
      new AppError(
        'rate_limited',
        `At most ${limits.socketEventsPerSecond} events per second per connection.`,
        {
          limit: limits.socketEventsPerSecond,
          burst: limits.socketEventBurst,
        },
      );

    const on = <S extends z.ZodType<{ clientMessageId?: string | undefined }>>(
      event: 'visitor:reply' | 'visitor:contact' | 'visitor:action' | 'visitor:page' | 'visitor:locale',
      schema: S,
      toCommand: (payload: z.output<S>) => VisitorCommand,
    ) => {
      socket.on(event, async (...args: unknown[]) => {
        const { payload, reply } = ackArgs<VisitorAck>(args);
        try {
          if (!budget.take()) throw inVisitorLanguage(engine.workflow, locale, overBudget());
          const data = parseWith(schema, payload);
          visit.active();
          const command = toCommand(data);
          const r = await metrics.track('socket', event, () =>
            engine.handle(sessionId, command, data.clientMessageId, origin),
          );
          if (command.kind === 'locale') locale = command.locale;
          // The event is recorded whatever happens to the offer: a failed offer leaves only the greeting's note.
          const callback = deps.callbackOffer
            ? await deps.callbackOffer(sessionId, r, origin).catch((err: unknown) => {
                logger.warn({ sessionId, err }, 'could not ask for a callback time');
                return null;
              })
            : null;
          reply({
            ok: true,
            score: r.score,
            classification: r.classification,
            state: r.state,
            awarded: r.awarded,
            ...(r.duplicate ? { duplicate: true } : {}),
            ...(callback ? { callback: callback.offer } : {}),
            // Protocol 2: the event's replies, then the bot's callback question (its broadcast skipped us).
            ...(origin === undefined ? {} : { messages: [...r.prompts, ...(callback?.messages ?? [])] }),
          });
        } catch (err) {
          const response = toAck(err);
          if (response.error.code === 'internal')
            logger.error({ sessionId, err, event }, 'visitor event failed');
          reply(response);
        }
      });
    };

    on('visitor:reply', schemas.visitorReply, ({ text, optionIds }) => ({
      kind: 'reply',
      ...(text === undefined ? {} : { text }),
      ...(optionIds === undefined ? {} : { optionIds }),
    }));
    on('visitor:contact', schemas.visitorContact, ({ clientMessageId: _, ...contact }) => ({
      kind: 'contact',
      ...contact,
    }));
    on('visitor:action', schemas.visitorAction, ({ action, targetId }) => ({
      kind: 'action',
      action,
      ...(targetId === undefined ? {} : { targetId }),
    }));
    on('visitor:page', schemas.visitorPage, ({ url, title }) => ({
      kind: 'page',
      url,
      ...(title === undefined ? {} : { title }),
    }));
    on('visitor:locale', schemas.visitorLocale, ({ locale: tag }) => ({ kind: 'locale', locale: tag }));
    socket.on('visitor:callback', async (...args: unknown[]) => {
      const { payload, reply } = ackArgs<CallbackAck>(args);
      try {
        if (!budget.take()) throw overBudget();
        const { time } = parseWith(schemas.visitorCallback, payload);
        if (!deps.callback) throw new AppError('invalid_state', 'No callbacks here.');
        visit.active();
        reply({ ok: true, ...(await deps.callback(sessionId, time)) });
      } catch (err) {
        const response = toAck(err);
        if (response.error.code === 'internal') logger.error({ sessionId, err }, 'visitor callback failed');
        reply(response);
      }
    });
    socket.on('visitor:typing', (payload: unknown) => {
      const parsed = schemas.visitorTyping.safeParse(payload ?? {});
      if (!budget.take() || !parsed.success) return;
      visit.typing(parsed.data.typing ?? true);
    });
  });
}

/** Resumes the session named in the handshake, or starts a new one when it names none we know. */
async function openSession(
  engine: ConversationEngine,
  schemas: Schemas,
  auth: z.output<Schemas['chatAuth']>,
  keys: ReturnType<typeof visitorKeys>,
  asked: Parameters<typeof negotiateLocale>[1],
  beforeStart: () => Promise<void>,
): Promise<{ sessionId: string; lead: SessionLead } & Opening> {
  const { locales } = engine.workflow;
  if (auth.sessionId && schemas.sessionId.safeParse(auth.sessionId).success) {
    try {
      const view = await resumeVisit(engine, auth.sessionId, touchFrom(auth, AUTH_KEYS));
      const history = visitorHistory(await engine.eventLog(view.sessionId, 0, HISTORY_EVENTS));
      return {
        sessionId: view.sessionId,
        lead: view.lead,
        hello: {
          sessionId: view.sessionId,
          protocol: 1,
          resumed: true,
          state: view.state,
          score: view.score,
          classification: view.classification,
          variants: view.variants,
          // A returning visitor keeps the language of the session (they may have switched it).
          locale: matchLocale(locales, view.lead.locale) ?? negotiateLocale(locales, asked),
          locales: locales.available,
          labels: widgetLabels(engine.workflow),
          history,
        },
        messages: view.prompt ? [view.prompt] : [],
      };
    } catch (err) {
      // A session that cannot go on (none such, or its workflow version can no longer be read) is
      // replaced by a new one: the widget keeps the id it is given next.
      if (!(err instanceof AppError && ['session_not_found', 'workflow_unavailable'].includes(err.code)))
        throw err;
    }
  }
  await beforeStart();
  const attribution = touchFrom(auth, AUTH_KEYS);
  const locale = negotiateLocale(locales, asked);
  const started = await engine.startSession({ ...(attribution ? { attribution } : {}), locale, ...keys });
  return {
    sessionId: started.sessionId,
    lead: started.lead,
    hello: {
      sessionId: started.sessionId,
      protocol: 1,
      resumed: false,
      state: started.state,
      score: started.score,
      classification: started.classification,
      variants: started.variants,
      locale,
      locales: locales.available,
      labels: widgetLabels(engine.workflow),
    },
    messages: started.prompts,
  };
}
