import { AGENT_TYPING, VISITOR_PRESENCE, VISITOR_TYPING } from '../conversation/events.js';
import type { Logger } from '../logger.js';
import type { BusChannels } from '../protocol/bus.js';
import type { EventBus } from '../scaling/bus.js';
import type { SessionRegistry } from '../scaling/registry.js';

/** What the `/chat` transport tells presence of one visitor connection. */
export interface VisitorConnection {
  /** The visitor sent an event: the session's last activity moves on. */
  active(): void;
  /** The visitor is typing (or stopped): the agents watching the session are told. */
  typing(typing: boolean): void;
  /** The connection closed. */
  closed(): void;
}

/** The resolution of a connection's last activity in the registry (the board sorts by it). */
export const ACTIVITY_STEP_MS = 1000;

/**
 * Which visitors are connected, for the agents on every node: each `/chat` connection is counted in
 * the session registry (the board reads it) and announced on the bus, as is typing.
 */
export class VisitorPresence {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  /** A connection of the session opened; the returned handle is told what happens on it. */
  opened(sessionId: string): VisitorConnection {
    const registered = this.registry
      .connected(sessionId, Date.now())
      .then(() => this.announce(VISITOR_PRESENCE, sessionId))
      .catch((err: unknown) => {
        this.logger.warn({ sessionId, err }, 'could not register the connection');
      });
    // A visitor's events come a few per second at most: the registry (a Redis write on a cluster node)
    // hears of the activity at most once per ACTIVITY_STEP_MS per connection, not once per event.
    let touched = Date.now();
    return {
      active: () => {
        const now = Date.now();
        if (now - touched < ACTIVITY_STEP_MS) return;
        touched = now;
        void this.registry.touch(sessionId, now).catch(() => {});
      },
      typing: (typing) => void this.bus.publish(VISITOR_TYPING, { sessionId, typing }).catch(() => {}),
      // After the registration: a connection that closes at once is never counted as still open.
      closed: () =>
        void registered
          .then(() => this.registry.disconnected(sessionId, Date.now()))
          .then(() => this.announce(VISITOR_PRESENCE, sessionId))
          .catch(() => {}),
    };
  }

  /** Calls `handler` whenever an agent on any node starts or stops typing to a visitor; returns the stop. */
  onAgentTyping(handler: (typing: BusChannels['agent-typing']) => void): () => void {
    return this.bus.subscribe(AGENT_TYPING, handler);
  }

  private announce(channel: typeof VISITOR_PRESENCE, sessionId: string): void {
    void this.bus.publish(channel, { sessionId }).catch(() => {});
  }
}
