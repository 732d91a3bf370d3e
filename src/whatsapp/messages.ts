import type { PromptMessage } from '../conversation/transition.js';

/**
 * What the bot and the agents say, as Cloud API message payloads (`POST /{phone-number-id}/messages`):
 * a choice of up to 3 options as reply buttons (titles ≤ 20 characters), up to 10 as a list message
 * (rows ≤ 24, descriptions ≤ 72), anything else as text. Button and row ids are the options' ids, so a
 * reply names the option whatever the title shows.
 */

export type OutgoingKind = 'text' | 'buttons' | 'list';

export interface Outgoing {
  kind: OutgoingKind;
  payload: Record<string, unknown>;
}

const BODY_MAX = 1024;
const TEXT_MAX = 4096;

/** Cuts to `max` characters (code points), ending in "…" when cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const base = (to: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to });

export function textMessage(to: string, body: string): Outgoing {
  return {
    kind: 'text',
    payload: { ...base(to), type: 'text', text: { preview_url: false, body: clip(body, TEXT_MAX) } },
  };
}

/** What the door adds to a prompt: the phone number is known, so contact capture asks for the rest. */
const CONTACT_HINT = 'Reply with your name and e-mail (your WhatsApp number is already known to us).';
const MULTI_HINT = 'Pick one, or type several separated by commas.';

/** A bot prompt as a WhatsApp message. */
export function promptMessage(to: string, prompt: PromptMessage): Outgoing {
  const options = prompt.options ?? [];
  const hint =
    prompt.input === 'contact' ? CONTACT_HINT : prompt.input === 'multi_choice' ? MULTI_HINT : null;
  const body = clip(hint ? `${prompt.text}\n\n${hint}` : prompt.text, BODY_MAX);
  if (options.length === 0) return textMessage(to, body);
  if (options.length <= 3) {
    return {
      kind: 'buttons',
      payload: {
        ...base(to),
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: body },
          action: {
            buttons: options.map((o) => ({ type: 'reply', reply: { id: o.id, title: clip(o.label, 20) } })),
          },
        },
      },
    };
  }
  if (options.length <= 10) {
    return {
      kind: 'list',
      payload: {
        ...base(to),
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: body },
          action: {
            button: 'Choose',
            sections: [
              {
                title: 'Options',
                rows: options.map((o) => ({
                  id: o.id,
                  title: clip(o.label, 24),
                  ...([...o.label].length > 24 ? { description: clip(o.label, 72) } : {}),
                })),
              },
            ],
          },
        },
      },
    };
  }
  // More than a list holds: the options as text, answered by typing one.
  return textMessage(to, `${body}\n\n${options.map((o) => `• ${o.label}`).join('\n')}`);
}
