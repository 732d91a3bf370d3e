import type { EventRow } from '../persistence/session-store.js';

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
}

export function toEventMessage(sessionId: string, row: EventRow): SessionEventMessage {
  return { sessionId, seq: row.seq, type: row.type, at: row.at.toISOString(), data: row.data };
}
