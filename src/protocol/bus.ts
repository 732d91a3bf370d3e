import type { CommittedMessage } from '../conversation/events.js';

/**
 * Every channel of the event bus (src/scaling/bus.ts) and the payload it carries. The keys are the
 * channel names as they travel (Redis channels under the prefix); the modules that publish and subscribe
 * name them with their constants (SESSION_EVENTS, VISITOR_PRESENCE, VISITOR_TYPING and AGENT_TYPING in
 * conversation/events.ts, NOTIFICATIONS_DUE in notifications/dispatcher.ts), which must be keys here.
 * Messages cross nodes as JSON, so a payload is plain data.
 */
export interface BusChannels {
  /** Every commit of a session: its new events, board row, version and triggers. */
  'session-events': CommittedMessage;
  /** A visitor's connections changed (the board shows who is online). */
  'visitor-presence': { sessionId: string };
  /** A visitor is typing (agents watching the session are told). */
  'visitor-typing': { sessionId: string; typing?: boolean };
  /** An agent started or stopped typing to a session's visitor (never stored). */
  'agent-typing': { sessionId: string; name: string; typing: boolean };
  /** The outbox got rows: dispatchers on every node look for work. */
  'notifications-due': Record<string, never>;
}
