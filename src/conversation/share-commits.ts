import { boardRow } from '../leads/views.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../scaling/bus.js';
import type { ConversationEngine } from './engine.js';
import { type CommittedMessage, SESSION_EVENTS, toEventMessage } from './events.js';

/**
 * Ties the engine to the bus. Every event committed here goes out: agents on any node watch it.
 * Another node's commit or erase makes this node's copy of the session stale; a bus that was cut off
 * may have lost such messages, so then nothing cached is trusted.
 */
export function shareCommits(
  engine: Pick<ConversationEngine, 'onCommitted' | 'forgetOlder' | 'forgetAll'>,
  bus: EventBus,
  logger: Logger,
): void {
  bus.subscribe(SESSION_EVENTS, ({ sessionId, version }, from) => {
    if (from !== bus.nodeId) engine.forgetOlder(sessionId, version);
  });
  bus.onResync(() => engine.forgetAll());
  engine.onCommitted(({ sessionId, events, lead, triggers }) => {
    const message: CommittedMessage = {
      sessionId,
      events: events.map((e) => toEventMessage(sessionId, e)),
      lead: boardRow(lead, false),
      version: lead.version,
      triggers,
    };
    bus.publish(SESSION_EVENTS, message).catch((err: unknown) => {
      logger.warn({ err, sessionId }, 'could not publish session events; watchers will recover them by seq');
    });
  });
}
