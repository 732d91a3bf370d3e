import type { BotMessage } from '../protocol/index.js';
import { type Field, field, form } from './widget-forms.js';
import { el } from './widget-view.js';

/**
 * After hours the bot asks when to call the visitor back (a prompt of input `callback`): the offered
 * times as buttons, and a field for a time of one's own ("10:30"). `ask` sends the time and resolves
 * with the refusal's message, or null once it is taken (the bot's confirmation then arrives as a message).
 */
export function callbackInput(
  m: BotMessage,
  ask: (time: string, echo: string) => Promise<string | null>,
  words: { send: string; typeAnswer: string },
): Node[] {
  const typed: Field = field({ type: 'text', maxLength: 40, inputMode: 'text' }, words.typeAnswer);
  const pick = async (time: string, echo: string) => {
    const refused = await ask(time, echo);
    if (refused) typed.error(refused);
  };
  const slots = (m.options ?? []).map((o) =>
    el('button', { type: 'button', textContent: o.label, onclick: () => void pick(o.id, o.label) }),
  );
  const submit = el('button', { type: 'submit', className: 'primary', textContent: words.send });
  return [
    ...slots,
    form([...typed.nodes, submit], () => {
      const time = typed.input.value.trim();
      if (time) void pick(time, time);
    }),
  ];
}
