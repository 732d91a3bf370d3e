import type { ConversationEngine } from '../conversation/engine.js';
import type { Logger } from '../logger.js';
import type { LeadRow } from '../persistence/rows.js';
import { sameTouch } from './attribution.js';

/**
 * A returning visitor's new session is their last touch: when a session linked to earlier leads (by
 * visitor id or verified identity) starts with attribution, each earlier lead records it as its last
 * touch (`last_touch`, `last_touch_at`: the exports, the webhook, the console), through the engine's
 * one write path as a server-made change (`visitor.returned { sessionId, touch }`), version-checked.
 * A lead whose last touch is already newer, or the same, is left as it is; an erased one too.
 * Returns the unsubscribe.
 */
export function carryLastTouch(
  engine: Pick<ConversationEngine, 'amend' | 'onCommitted'>,
  earlierLeads: (lead: LeadRow) => Promise<LeadRow[]>,
  logger: Logger,
): () => void {
  return engine.onCommitted(({ sessionId, events, lead }) => {
    const touch = lead.firstTouch;
    if (!lead.returningFrom || !touch || !events.some((e) => e.type === 'session.started')) return;
    const at = lead.createdAt;
    const carry = async () => {
      for (const earlier of await earlierLeads(lead)) {
        if (earlier.createdAt > at) continue;
        await engine.amend(earlier.id, async (row) => {
          if (row.erasedAt || (row.lastTouchAt && row.lastTouchAt >= at)) return null;
          if (sameTouch(row.lastTouch ?? row.firstTouch, touch)) return null;
          return {
            input: { type: 'visitor.returned', data: { sessionId, touch } },
            patch: { lastTouch: touch, lastTouchAt: at },
          };
        });
      }
    };
    carry().catch((err: unknown) =>
      logger.warn({ sessionId, err }, "could not record the returning visitor's last touch"),
    );
  });
}
