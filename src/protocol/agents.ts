import type { z } from 'zod';
import type { Step } from '../../machines/types.js';
import type { Agent } from '../agents/tokens.js';
import type { SessionEventMessage } from '../conversation/events.js';
import type { Trigger } from '../conversation/triggers.js';
import type { attributionView } from '../leads/attribution.js';
import type { EarlierLead } from '../leads/earlier.js';
import type { BoardRow, leadData, scoreBreakdown } from '../leads/views.js';
import type { LedgerRow } from '../persistence/rows.js';
import type { Schemas } from '../transport/schemas.js';
import type { Ack } from './acks.js';

/**
 * The `/agents` namespace on the wire: what the agent console (or any socket.io client with an agent
 * token) and the server send each other. Payloads a client sends are the inputs of the schemas in
 * src/transport/schemas.ts.
 */

export type { BoardRow, SessionEventMessage };

/** The handshake's `auth`: an agent token (a missing, invalid or expired one is refused `unauthorized`). */
export interface AgentsAuth {
  token: string;
}

/** An agent typing (`typing: true`) or stopping (`false`) in a session's composer. */
export type AgentTyping = z.input<Schemas['agentTyping']>;
/** Which sessions the board lists (the payload may be left out). */
export type SessionsList = z.input<Schemas['sessionsList']>;
/** Watch a session from `sinceSeq` (0: its whole event log). */
export type SessionWatch = z.input<Schemas['sessionWatch']>;
/** The session an unwatch, a takeover or a release is about. */
export type SessionRef = z.input<Schemas['sessionRef']>;
/** An agent's message to the visitor of a session it holds. */
export type AgentMessage = z.input<Schemas['agentMessage']>;
/** An agent is online (leads are routed to them) or away. */
export type AgentStatusChange = z.input<Schemas['agentStatus']>;

/** The lead of a watched session: its place on the board and its profile as the seed's summary shows it. */
export type WatchedLead = {
  sessionId: string;
  state: string;
  utmSource: string | null;
  startedAt: string;
  lastActivityAt: string;
  takenOverBy: string | null;
  /** The page the visitor reported last; absent before any. */
  currentPage?: string;
  connected: boolean;
  /** The language the visitor speaks, or null. */
  locale: string | null;
  /** Where the visitor came from: the first and the last touch ([attribution](../../docs/attribution.md)). */
  attribution: ReturnType<typeof attributionView>;
} & ReturnType<typeof leadData>;

/** One row of a lead's score ledger, with the evidence it was awarded on. */
export type LedgerEntry = Omit<LedgerRow, 'at'> & { at: string };

/** What `session:watch` answers with; live `session:event`s follow, in `seq` order. */
export interface WatchOpened {
  lead: WatchedLead;
  /** A returning visitor's earlier leads, newest first (same visitor id or verified identity). */
  earlier: EarlierLead[];
  breakdown: LedgerEntry[];
  /** Points per behaviour, in the order first earned. */
  summary: ReturnType<typeof scoreBreakdown>;
  /** The session's event log after `sinceSeq`. */
  events: SessionEventMessage[];
}

/** Who holds the session after a takeover or a release. */
export interface Holder {
  takenOverBy: string | null;
  state: Step;
}

/** A moment sales wants to hear of, once per lead and trigger. */
export interface LeadAlert {
  sessionId: string;
  trigger: Trigger;
  lead: BoardRow;
}

/** The agents viewing a session (on any node). */
export interface SessionViewers {
  sessionId: string;
  viewers: { agentId: string; name: string }[];
}

/** Client → server on `/agents`; every event spends from the socket's budget before it is handled. */
export interface AgentsClientToServerEvents {
  /** socket.io puts the acknowledgement first when there is no payload: both are answered. */
  'sessions:list': (
    ...args:
      | [ack: (response: Ack<{ sessions: BoardRow[] }>) => void]
      | [payload: SessionsList, ack: (response: Ack<{ sessions: BoardRow[] }>) => void]
  ) => void;
  'session:watch': (payload: SessionWatch, ack: (response: Ack<WatchOpened>) => void) => void;
  'session:unwatch': (payload: SessionRef, ack: (response: Ack) => void) => void;
  'session:takeover': (payload: SessionRef, ack: (response: Ack<Holder>) => void) => void;
  'session:release': (payload: SessionRef, ack: (response: Ack<Holder>) => void) => void;
  'agent:message': (payload: AgentMessage, ack: (response: Ack) => void) => void;
  /** This connection's agent is online or away (every connection of theirs away: away). */
  'agent:status': (payload: AgentStatusChange, ack: (response: Ack) => void) => void;
  /** Marks the session's visitor contacted: a response to the lead, and a free place in the capacity. */
  'lead:contacted': (payload: SessionRef, ack: (response: Ack<{ contactedAt: string }>) => void) => void;
  /** The agent is typing to the session's visitor (or stopped); not acknowledged, never stored. */
  'agent:typing': (payload: AgentTyping) => void;
}

/** Server → client on `/agents`. */
export interface AgentsServerToClientEvents {
  /** The token expired while connected; the server disconnects right after. */
  'auth:expired': (error: { code: 'unauthorized'; message: string }) => void;
  /** To every agent: a session's board row changed (at most one per session per interval). */
  'board:update': (row: BoardRow) => void;
  /** To every agent. */
  'lead:alert': (alert: LeadAlert) => void;
  /** To the watchers of the session: one event of its log, each once and in `seq` order. */
  'session:event': (event: SessionEventMessage) => void;
  /** To the watchers of the session, whenever one starts or stops watching. */
  'session:viewers': (viewers: SessionViewers) => void;
  /** To the watchers of the session: its visitor is typing (or stopped, `typing: false`). */
  'session:typing': (typing: { sessionId: string; typing: boolean }) => void;
}

/** What the server keeps on an `/agents` socket (read across nodes too: `fetchSockets`). */
export interface AgentsSocketData {
  agent: Agent;
}
