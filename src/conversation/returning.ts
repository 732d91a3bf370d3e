import { isNewTouch, type Touch } from '../leads/attribution.js';
import type { ConversationEngine } from './engine.js';
import type { SessionView } from './types.js';

/**
 * A returning visitor's session, as it stands. Attribution the visitor arrived with that differs from
 * the lead's last touch (a new campaign, referrer or landing page) is its new last touch, recorded
 * through the engine as the visitor's event first; a reconnect from the same visit records nothing.
 * The touch changes no score, state or prompt, so the view read before it is the view after it.
 */
export async function resumeVisit(
  engine: Pick<ConversationEngine, 'view' | 'handle'>,
  sessionId: string,
  touch: Touch | null,
): Promise<SessionView> {
  const view = await engine.view(sessionId);
  if (isNewTouch(view.lead, touch)) await engine.handle(sessionId, { kind: 'touch', touch });
  return view;
}
