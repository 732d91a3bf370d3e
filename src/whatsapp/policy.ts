import type { AgentAct, ChannelPolicy } from '../conversation/types.js';
import { AppError } from '../errors.js';
import type { CommitUnit, LeadRow } from '../persistence/rows.js';
import { eventsTrigger, WHATSAPP_CHANNEL } from './channel.js';
import type { WhatsAppStore } from './store.js';

/** WhatsApp's customer-service window: free-form messages only within 24 hours of the user's last one. */
const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Events that say something to the visitor. */
const SAID = new Set(['bot.prompt', 'agent.message']);

/**
 * The WhatsApp door's rules for the engine. A WhatsApp session has no live connection: what a commit
 * says to the visitor (bot prompts, agent messages) leaves through the outbox, in one row per commit
 * committed with the events. An agent may write only inside the customer-service window, which runs
 * from the visitor's last message as Meta stamped it (any message: one the bot could not take too).
 */
export const whatsappPolicy = (store: Pick<WhatsAppStore, 'lastInboundAt'>): ChannelPolicy => ({
  deliveries(unit: CommitUnit) {
    if (unit.lead.channel !== 'whatsapp') return [];
    const seqs = unit.events.filter((e) => SAID.has(e.type)).map((e) => e.seq);
    if (seqs.length === 0) return [];
    return [{ trigger: eventsTrigger(Math.min(...seqs), Math.max(...seqs)), channel: WHATSAPP_CHANNEL }];
  },
  async checkAgentAct(lead: LeadRow, act: AgentAct, at: number) {
    if (lead.channel !== 'whatsapp' || act.kind !== 'message') return;
    const last = (await store.lastInboundAt(lead.id)) ?? lead.lastActivityAt;
    if (at - last.getTime() > SERVICE_WINDOW_MS) {
      throw new AppError('whatsapp_template_required', undefined, {
        lastVisitorMessageAt: last.toISOString(),
      });
    }
  },
});
