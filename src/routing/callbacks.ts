import type { ConversationEngine } from '../conversation/engine.js';
import { AppError } from '../errors.js';
import { callbackText } from '../workflow/messages.js';
import { afterHoursFor, typedCallbackTime } from './after-hours.js';
import { offerFor } from './callback-offer.js';
import type { AgentPresence } from './presence.js';
import type { Router } from './router.js';
import type { Routing } from './rules.js';

/** What the visitor is told of the callback they asked for. */
export interface CallbackAnswer {
  /** ISO time of the callback. */
  callbackAt: string;
  /** The time in the team's zone: "Monday 10:00 IST". */
  label: string;
  confirmation: string;
}

/**
 * After hours, a visitor who asked for a person names a time to be called back: one of the offered
 * slots (its ISO time) or a typed time of the next opening ("10:30", "2 pm") in the team's zone. It is
 * stored on the lead and announced once (`callback_requested`), the bot confirms it in the visitor's
 * language, and the lead is assigned when the team opens. A time outside the next opening is refused
 * with `outside_opening`, anything that is no time with `validation_failed`.
 */
export function callbackDesk(
  engine: Pick<ConversationEngine, 'view'>,
  routing: Routing,
  agents: Pick<AgentPresence, 'list'>,
  router: Pick<Router, 'callback'>,
  now: () => number,
): (sessionId: string, time: string) => Promise<CallbackAnswer> {
  return async (sessionId, time) => {
    const { lead, workflow } = await engine.view(sessionId);
    if (!lead.humanHelp)
      throw new AppError('invalid_state', 'A callback follows a request for a person (the human_help CTA).');
    if (lead.callbackAt)
      throw new AppError('conflict', 'A callback is already requested.', {
        callbackAt: lead.callbackAt.toISOString(),
      });
    const after = afterHoursFor(routing, lead, await agents.list(), now());
    if (!after) throw new AppError('invalid_state', 'The team is there now: an agent will answer.');
    const locale = lead.locale ?? workflow.locales.default;
    const offered = after.slots.find((s) => new Date(s).toISOString() === time);
    const at = offered ?? typedCallbackTime(time, after);
    if (at === null) {
      if (!/\d/.test(time))
        throw new AppError('validation_failed', 'Type a time such as 10:30, or pick one of the times.', {
          field: 'time',
        });
      // Only a refusal words every offered slot.
      const offer = offerFor(after, locale);
      throw new AppError(
        'outside_opening',
        callbackText(workflow, locale, 'callbackOutsideHours', { back: offer.back }),
        { field: 'time', back: offer.back, slots: offer.slots },
      );
    }
    const label = offerFor({ ...after, slots: [at] }, locale).slots[0]!.label;
    const confirmation = callbackText(workflow, locale, 'callbackConfirm', { time: label });
    await router.callback(
      sessionId,
      new Date(at),
      { team: after.team, label },
      { step: 'callback_confirmed', text: confirmation, input: 'none', locale },
    );
    return { callbackAt: new Date(at).toISOString(), label, confirmation };
  };
}
