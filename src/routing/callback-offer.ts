import type { ConversationEngine } from '../conversation/engine.js';
import type { EventResult } from '../conversation/types.js';
import type { BotMessage, CallbackOffer } from '../protocol/chat.js';
import { callbackText } from '../workflow/messages.js';
import type { BotPrompt } from '../workflow/prompts.js';
import type { Workflow } from '../workflow/schema.js';
import { type AfterHours, afterHoursFor } from './after-hours.js';
import { describeTime } from './hours.js';
import type { AgentPresence } from './presence.js';
import type { Routing } from './rules.js';

/**
 * The offer as the visitor reads it: the times in the team's zone, in the visitor's language (English
 * as written in India, "Monday 9:00 IST", for English and by default).
 */
export function offerFor(after: AfterHours, locale: string | null | undefined): CallbackOffer {
  const words = locale && !/^en\b/i.test(locale) ? locale : undefined;
  const say = (at: number) => describeTime(at, after.timeZone, words);
  return {
    team: after.team,
    reason: after.reason,
    back: say(after.reason === 'closed' ? after.opening.opensAt : after.slots[0]!),
    slots: after.slots.map((s) => ({ id: new Date(s).toISOString(), label: say(s) })),
  };
}

/** The bot's question for a callback time: the offered slots as options, or a time typed. */
export function callbackQuestion(workflow: Workflow, locale: string, offer: CallbackOffer): BotPrompt {
  return {
    step: 'callback',
    text: callbackText(workflow, locale, 'callbackAsk', { back: offer.back }),
    input: 'callback',
    options: offer.slots,
    locale,
  };
}

/**
 * After hours, the `human_help` CTA becomes a callback request: once a visitor event makes the lead ask
 * for a person while its team is closed or has nobody online, the bot asks, in the visitor's language,
 * when to call back (a `bot.prompt` of input `callback` with the slots of the next opening). Returns the
 * offer, for the event's acknowledgement, with the bot's question as committed; null when the event
 * asked for nobody or someone can answer. `origin`: the protocol-2 connection that sent the event,
 * which gets the question in its acknowledgement (after the event's own replies) instead of a broadcast.
 */
export function callbackOffers(
  engine: Pick<ConversationEngine, 'amendSaying' | 'workflows'>,
  routing: Routing,
  agents: Pick<AgentPresence, 'list'>,
  now: () => number,
): (sessionId: string, result: EventResult, origin?: string) => Promise<OfferAsked | null> {
  return async (sessionId, result, origin) => {
    if (!result.triggers?.includes('human_help')) return null;
    let offer: CallbackOffer | null = null;
    const committed = await engine.amendSaying(sessionId, async (lead) => {
      if (!lead.humanHelp || lead.callbackAt || lead.erasedAt) return null;
      const after = afterHoursFor(routing, lead, await agents.list(), now());
      if (!after || after.slots.length === 0) return null;
      const { workflow } = await engine.workflows.resolve(lead.workflowVersion);
      const locale = lead.locale ?? workflow.locales.default;
      offer = offerFor(after, locale);
      return {
        input: { type: 'lead.callback_offered', data: { ...offer } },
        said: [callbackQuestion(workflow, locale, offer)],
        ...(origin === undefined ? {} : { origin }),
      };
    });
    return offer && committed ? { offer, messages: committed.prompts } : null;
  };
}

/** A callback offer made, and the bot's messages that ask for the time. */
export interface OfferAsked {
  offer: CallbackOffer;
  messages: BotMessage[];
}
