import type { BoardRow } from '../leads/views.js';
import type { EventRow } from '../persistence/rows.js';
import type { Trigger } from './transition.js';

/** The bus channel every committed session event travels on. */
export const SESSION_EVENTS = 'session-events';

/** One row of a session's event log as it travels (bus, agent sockets): `seq` orders it. */
export interface SessionEventMessage {
  sessionId: string;
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/** What is published after each commit. */
export interface CommittedMessage {
  sessionId: string;
  events: SessionEventMessage[];
  /** The lead's board row after the commit (connection state as the committing node saw it unknown: false). */
  lead: BoardRow;
  /** The lead's version after the commit: a node holding an older copy of the session drops it. */
  version: number;
  triggers: Trigger[];
}

/** Other bus channels. */
export const VISITOR_PRESENCE = 'visitor-presence';
export const VISITOR_TYPING = 'visitor-typing';
export const AGENT_TYPING = 'agent-typing';

export function toEventMessage(sessionId: string, row: EventRow): SessionEventMessage {
  return { sessionId, seq: row.seq, type: row.type, at: row.at.toISOString(), data: row.data };
}
