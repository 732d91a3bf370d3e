import { KeyedQueue } from '../conversation/session-queue.js';
import type { PromptMessage } from '../conversation/transition.js';
import { type Channel, DeliveryError } from '../notifications/delivery.js';
import type { NotificationMessage } from '../notifications/message.js';
import type { GraphClient } from './graph.js';
import { type Outgoing, promptMessage, textMessage } from './messages.js';
import type { WhatsAppStore } from './store.js';

/** The outbox channel of the WhatsApp door. */
export const WHATSAPP_CHANNEL = 'whatsapp';

/** The trigger of the outbox row that carries a commit's events `from`..`to` to the visitor. */
export const eventsTrigger = (from: number, to: number) => `wa:${from}-${to}`;
/** The trigger of a note of the door's own (a message it could not take), by inbox row. */
export const noteTrigger = (inboxId: number) => `wa-note:${inboxId}`;

/** What a door note says, stored as the outbox row's note: a text, then the prompt to put again. */
export interface DoorNote {
  text: string;
  /** The bot prompt the session waits on, put again after the text. */
  prompt?: PromptMessage;
}

/**
 * Sends the WhatsApp messages the outbox holds. A row names the session events it carries (bot prompts
 * and agent messages) or holds a door note; each message goes out once, in order: what the Graph API
 * accepted is recorded by its message id and skipped when a failed row is tried again. Messages to one
 * session go one at a time on this node.
 */
export class WhatsAppChannel implements Channel {
  readonly name = WHATSAPP_CHANNEL;
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly store: WhatsAppStore,
    private readonly graph: GraphClient,
  ) {}

  send(message: NotificationMessage): Promise<void> {
    const leadId = message.lead.id;
    return this.queue.run(leadId, async () => {
      // The session's first prompt may go out before its user is linked to it: the phone is theirs too.
      const to = (await this.store.waIdOf(leadId)) ?? message.lead.phone?.replace(/^\+/, '');
      if (!to) throw new DeliveryError(`session ${leadId} has no WhatsApp user`, false);
      for (const { ref, outgoing } of await this.messagesOf(message, to)) {
        if (await this.store.wasSent(leadId, ref)) continue;
        const wamid = await this.graph.send(outgoing.payload);
        await this.store.sent({ leadId, ref, waId: to, kind: outgoing.kind, wamid });
      }
    });
  }

  private async messagesOf(
    message: NotificationMessage,
    to: string,
  ): Promise<{ ref: string; outgoing: Outgoing }[]> {
    const range = /^wa:(\d+)-(\d+)$/.exec(message.trigger);
    if (range) {
      const events = await this.store.outgoingEvents(message.lead.id, Number(range[1]), Number(range[2]));
      return events.map((e) => ({
        ref: String(e.seq),
        outgoing:
          e.type === 'agent.message'
            ? textMessage(to, String(e.data.text ?? ''))
            : promptMessage(to, e.data as unknown as PromptMessage),
      }));
    }
    const note = /^wa-note:(\d+)$/.exec(message.trigger);
    if (note && message.note) {
      const { text, prompt } = JSON.parse(message.note) as DoorNote;
      return [
        { ref: `note:${note[1]}`, outgoing: textMessage(to, text) },
        ...(prompt ? [{ ref: `note:${note[1]}:prompt`, outgoing: promptMessage(to, prompt) }] : []),
      ];
    }
    throw new DeliveryError(`not a WhatsApp message: ${message.trigger}`, false);
  }
}
