import type { VisitorCommand } from '../conversation/commands.js';
import type { PromptMessage } from '../conversation/transition.js';

const EMAIL = /[^\s,;<>()]+@[^\s,;<>()]+\.[^\s,;<>()]+/;

/**
 * A WhatsApp message as a visitor command, read against the prompt the session waits on: a tapped
 * button or list row names its option by id; text answers a text question, or names options by label;
 * at the contact step the text is the visitor's name and e-mail (the phone number is WhatsApp's own).
 * Null: a message the conversation cannot take (a picture, a location, …).
 */
export function commandOf(
  message: Record<string, unknown>,
  prompt: Pick<PromptMessage, 'input' | 'step'> | null,
  phone: string,
): VisitorCommand | null {
  const picked = pickedId(message);
  if (picked !== null) {
    if (prompt?.input === 'contact' && picked === 'skip') return { kind: 'contact', skip: true };
    return { kind: 'reply', optionIds: [picked] };
  }
  const text = textOf(message);
  if (text === null) return null;
  if (prompt?.input === 'contact') {
    const email = EMAIL.exec(text)?.[0];
    const name = (email ? text.replace(email, ' ') : text).replace(/[\s,;]+/g, ' ').trim();
    return {
      kind: 'contact',
      phone,
      ...(name ? { name: name.slice(0, 200) } : {}),
      ...(email ? { email } : {}),
    };
  }
  return { kind: 'reply', text };
}

/** The option id of a tapped reply button or list row (or of a template's quick-reply button). */
function pickedId(message: Record<string, unknown>): string | null {
  const interactive = message.interactive as
    | { type?: string; button_reply?: { id?: string }; list_reply?: { id?: string } }
    | undefined;
  const id = interactive?.button_reply?.id ?? interactive?.list_reply?.id;
  if (typeof id === 'string' && id) return id;
  const button = message.button as { payload?: string } | undefined;
  return typeof button?.payload === 'string' && button.payload ? button.payload : null;
}

function textOf(message: Record<string, unknown>): string | null {
  const body = (message.text as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' && body.trim() ? body.trim() : null;
}
