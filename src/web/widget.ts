import { io, type Socket } from 'socket.io-client';
import { CHAT_PROTOCOL } from '../protocol/chat.js';
import type {
  BotMessage,
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  RefusalDetails,
  SessionHello,
  VisitorAck,
  VisitorContact,
  VisitorReply,
} from '../protocol/index.js';
import { visitAttribution } from './attribution.js';
import { watchPages } from './page-views.js';
import { hostIdentity, visitorId } from './visitor-id.js';
import { type ApiResult, leadBotApi } from './widget-api.js';
import { callbackInput } from './widget-callback.js';
import { widgetConfig } from './widget-config.js';
import { checked, ctaCard, type FieldProblems, field, form } from './widget-forms.js';
import { replyQueue, typingReporter } from './widget-link.js';
import { el, mountView } from './widget-view.js';

/**
 * The embeddable chat widget: `<script src="https://bot.example/widget.js" data-server="https://bot.example"
 * data-utm-source="google"></script>` (a logged-in user: `data-user-id` and `data-user-hash`, the HMAC of the id under
 * IDENTITY_SECRET). It sends where the visitor came from (the page's utm_* and click ids,
 * the referrer, the landing page) with every handshake. A bubble opens the chat; bot questions come with option buttons,
 * a contact form and CTA buttons; agents' messages show too. The session is remembered across reloads and
 * the socket reconnects by itself. The page the visitor is on, and every navigation of a single-page app,
 * is reported (`visitor:page`): agents see where the visitor is. Everything from the server is put on the
 * page as text, never as HTML. The chrome lives in a shadow root (./widget-view.ts), apart from the host
 * page's CSS; each new prompt takes the focus when the panel is open, so the journey works from the keyboard.
 */

const script = document.currentScript as HTMLScriptElement | null;
const server = script?.dataset.server || (script ? new URL(script.src).origin : location.origin);
// Where the visitor came from: this visit's campaign parameters, click ids, referrer and landing page.
const attribution = visitAttribution(script);
const STORAGE_KEY = `lcb-session:${server}`;
// The same browser's visits, and the host site's verified user (./visitor-id.ts): a returning visitor.
const returning = { visitorId: visitorId(server), ...hostIdentity(script?.dataset) };
// The language asked for: the page's `data-lang`, else the browser's (the server falls back from
// `hi-IN` to `hi` to its default, and a resumed session keeps the language it speaks).
const locale = script?.dataset.lang || navigator.language || undefined;

const { input, say, focusPrompt, languages, status, typing, setOpen } = mountView(
  widgetConfig(script?.dataset),
);

// The wire types come from the server's protocol module: types only, erased from the bundle.
const socket: Socket<ChatServerToClientEvents, ChatClientToServerEvents> = io(`${server}/chat`, {
  // Read at every (re)connection, so a reconnect resumes the same session. Protocol 2: the bot's
  // replies to this connection's own events come in their acks.
  auth: (cb) =>
    cb({
      sessionId: localStorage.getItem(STORAGE_KEY) ?? undefined,
      locale,
      protocol: CHAT_PROTOCOL,
      ...attribution,
      ...returning,
    }),
});
let counter = 0;
const messageId = () => `${Date.now().toString(36)}-${(counter++).toString(36)}`;
const seen = new Set<string>();
// The places in the session's log already shown (history, bot and agent messages): nothing twice.
const shown = new Set<number>();
const queue = replyQueue(socket);
const sessionId = () => localStorage.getItem(STORAGE_KEY);

// The host page's handle on the widget (./widget-api.ts).
/** Switches the session's language: set by its `session` greeting, which the page's API waits for. */
let switchLocale: (locale: string) => Promise<ApiResult>;
let opened: () => void;
const sessionOpen = new Promise<void>((done) => {
  opened = done;
});
const events = leadBotApi({
  setOpen,
  async identify(profile) {
    const id = sessionId();
    if (!id) return { ok: false, error: { code: 'session_not_found', message: 'No conversation yet.' } };
    const r = await fetch(`${server}/api/lead/profile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: id, profile_data: profile }),
    }).catch(() => null);
    const body = await r?.json().catch(() => null);
    if (!r?.ok)
      return {
        ok: false,
        error: body?.error ?? { code: 'unavailable', message: 'Could not reach the server.' },
      };
    events.lead({ score: body.lead_score, classification: body.lead_type, state: '' });
    return { ok: true };
  },
  setLocale: (locale) => sessionOpen.then(() => switchLocale(locale)),
});
(window as unknown as { LeadBot: typeof events.api }).LeadBot = events.api;
const typed = typingReporter(socket);
input.addEventListener('input', typed.typing);

/** A visitor event's payload as the widget builds it: the clientMessageId is added when it is sent. */
type Unsent<T> = Omit<T, 'clientMessageId'>;

/** Sends a visitor event with a fresh clientMessageId; a refusal is shown and the prompt put back. */
async function send(event: 'visitor:reply', payload: Unsent<VisitorReply>, echo?: string): Promise<void>;
async function send(event: 'visitor:contact', payload: Unsent<VisitorContact>, echo?: string): Promise<void>;
async function send(
  event: 'visitor:reply' | 'visitor:contact',
  payload: Unsent<VisitorReply> | Unsent<VisitorContact>,
  echo?: string,
) {
  if (echo) say(echo, 'me');
  typed.stopped();
  input.replaceChildren();
  // Sent now, or queued until the socket is back; the bot is "typing" until it answers.
  typing('…');
  const ack: VisitorAck = await queue.send(event, { clientMessageId: messageId(), ...payload });
  typing(null);
  if (ack.ok) {
    events.lead(ack);
    ack.messages?.forEach(show);
    return;
  }
  // Never leave the visitor without a way to answer: the prompt the conversation waits on now when the
  // refusal names it (another tab or node moved it on), else the one shown before, with what was typed
  // and the server's reasons under the fields they are about.
  const details = ack.error.details as (RefusalDetails & { fields?: FieldProblems }) | undefined;
  if (details?.prompt) {
    say(ack.error.message, 'note');
    show(details.prompt);
  } else if (current) {
    const typedAnswer =
      current.input !== 'choice' && current.input !== 'multi_choice' && current.input !== 'cta';
    if (!typedAnswer) say(ack.error.message, 'note');
    render(current, {
      values: payload as Record<string, unknown>,
      message: ack.error.message,
      fields: details?.fields,
    });
  }
}

/** After hours, the time to be called back: the refusal's message, or null once it is taken. */
function askCallback(time: string, echo: string): Promise<string | null> {
  say(echo, 'me');
  return new Promise((done) =>
    socket
      .timeout(10_000)
      .emit('visitor:callback', { time }, (err, ack) =>
        done(err ? 'No answer from the server.' : ack.ok ? null : ack.error.message),
      ),
  );
}

let current: BotMessage | null = null;
/** The widget's own words in the language the session speaks, as the workflow gives them. */
let words: SessionHello['labels'][string] = {};
const word = (key: keyof typeof words, fallback: string) => words[key] ?? fallback;

/** What a refused answer comes back with: what was sent, and why it was refused. */
interface Retry {
  values: Record<string, unknown>;
  message: string;
  fields?: FieldProblems | undefined;
}

/** The field each text-entry prompt gets: the keyboard and the picker of its kind (the server checks the value). */
const ENTRY: Partial<Record<BotMessage['input'], Record<string, unknown>>> = {
  text: { type: 'text', maxLength: 2000 },
  number: { type: 'number', step: 'any', inputMode: 'decimal' },
  email: { type: 'email', autocomplete: 'email', maxLength: 320 },
  phone: { type: 'tel', autocomplete: 'tel', maxLength: 40 },
  date: { type: 'date' },
};

const CONTACT: [name: 'name' | 'phone' | 'email', props: Record<string, unknown>, label: string][] = [
  ['name', { autocomplete: 'name', maxLength: 200 }, 'Name'],
  // Parsed for the server's default region: a number of another country needs its +code.
  ['phone', { type: 'tel', autocomplete: 'tel', maxLength: 40 }, 'Phone (+country code if abroad)'],
  ['email', { type: 'email', autocomplete: 'email', maxLength: 320 }, 'E-mail'],
];

function render(m: BotMessage, retry?: Retry) {
  current = m;
  input.replaceChildren();
  const options = m.options ?? [];
  if (m.input === 'choice') {
    for (const o of options) {
      input.append(
        el('button', {
          type: 'button',
          textContent: o.label,
          onclick: () => void send('visitor:reply', { optionIds: [o.id] }, o.label),
        }),
      );
    }
  } else if (m.input === 'cta') {
    for (const o of options)
      input.append(ctaCard(o, () => void send('visitor:reply', { optionIds: [o.id] }, o.label)));
  } else if (m.input === 'multi_choice') {
    // A checklist: each box sits next to its label and the whole row toggles it; Send confirms.
    const confirm = el('button', {
      type: 'submit',
      className: 'primary',
      textContent: word('send', 'Send'),
      disabled: true,
    });
    const boxes = options.map((o) => ({
      box: el('input', { type: 'checkbox', value: o.id, onchange: () => update() }),
      o,
    }));
    const picked = () => boxes.filter((b) => b.box.checked);
    const update = () => {
      confirm.disabled = picked().length === 0;
    };
    const list = el(
      'fieldset',
      { className: 'lcb-checks' },
      boxes.map(({ box, o }) =>
        el('label', { className: 'lcb-check' }, [box, el('span', { textContent: o.label })]),
      ),
    );
    list.prepend(el('legend', { className: 'lcb-sr', textContent: m.text }));
    input.append(
      form([list, confirm], () => {
        const chosen = picked();
        if (chosen.length === 0) return;
        void send(
          'visitor:reply',
          { optionIds: chosen.map((p) => p.o.id) },
          chosen.map((p) => p.o.label).join(', '),
        );
      }),
    );
  } else if (m.input in ENTRY) {
    const { min, max, integer } = m.bounds ?? {};
    // The picker and the spinner keep within the question's bounds; the server checks them anyway.
    const text = field(
      {
        ...ENTRY[m.input],
        ...(min === undefined ? {} : { min: String(min) }),
        ...(max === undefined ? {} : { max: String(max) }),
        ...(integer ? { step: '1' } : {}),
      },
      word('typeAnswer', 'Type your answer'),
    );
    if (typeof retry?.values.text === 'string') text.input.value = retry.values.text;
    if (retry) text.error(retry.message);
    const submit = el('button', { type: 'submit', className: 'primary', textContent: word('send', 'Send') });
    input.append(
      form([...text.nodes, submit], () => {
        if (checked(text)) void send('visitor:reply', { text: text.input.value }, text.input.value);
      }),
    );
  } else if (m.input === 'callback') {
    input.append(
      ...callbackInput(m, askCallback, {
        send: word('send', 'Send'),
        typeAnswer: word('typeAnswer', 'Type your answer'),
      }),
    );
  } else if (m.input === 'contact') {
    const fields = CONTACT.map(([name, props, label]) => {
      const f = field({ name, ...props }, word(name, label));
      const before = retry?.values[name];
      if (typeof before === 'string') f.input.value = before;
      const problem = retry?.fields?.find((p) => p.field === name);
      if (problem) f.error(`${label.split(' ')[0]}: ${problem.message}`);
      return [name, f] as const;
    });
    // A refusal that names no field (say, neither phone nor e-mail given) shows under the form.
    const note = el('div', {
      className: 'lcb-error',
      textContent: retry && !retry.fields ? retry.message : '',
    });
    note.setAttribute('role', 'alert');
    const skip = el('button', {
      type: 'button',
      textContent: options[0]?.label ?? 'Skip',
      onclick: () => void send('visitor:contact', { skip: true }, 'Skip'),
    });
    input.append(
      form(
        [
          ...fields.flatMap(([, f]) => f.nodes),
          note,
          el('button', { type: 'submit', className: 'primary', textContent: word('send', 'Send') }),
          skip,
        ],
        () => {
          const filled = fields.filter(([, f]) => f.input.value.trim());
          void send(
            'visitor:contact',
            Object.fromEntries(filled.map(([name, f]) => [name, f.input.value])),
            filled.map(([, f]) => f.input.value).join(' · '),
          );
        },
      ),
    );
  }
  focusPrompt();
  // After a refusal the focus goes to the first field that needs fixing.
  if (retry) input.querySelector<HTMLElement>('[aria-invalid=true]')?.focus();
}

// Not acknowledged by anyone waiting: a page view that is refused (over the budget) is simply lost.
const pages = watchPages((page) =>
  socket.emit('visitor:page', { clientMessageId: messageId(), ...page }, () => {}),
);
let greeted = false;
socket.on('session', (s) => {
  localStorage.setItem(STORAGE_KEY, s.sessionId);
  // Switching language (the menu, or the page's LeadBot.setLocale): the server puts the pending prompt
  // again in it (in the ack), drawn in the widget's words of that language; the menu follows.
  let spoken = s.locale;
  words = s.labels[spoken] ?? {};
  switchLocale = (picked) =>
    new Promise<ApiResult>((done) => {
      words = s.labels[picked] ?? {};
      socket
        .timeout(10_000)
        .emit(
          'visitor:locale',
          { clientMessageId: messageId(), locale: picked },
          (err: unknown, ack: VisitorAck) => {
            const result: ApiResult = err
              ? { ok: false, error: { code: 'timeout', message: 'No answer from the server.' } }
              : ack;
            if (ack?.ok) {
              spoken = picked;
              ack.messages?.forEach(show);
            } else {
              words = s.labels[spoken] ?? {};
              if (current) render(current);
            }
            languages(s.locales, spoken, pick);
            done(result.ok ? { ok: true } : result);
          },
        );
    });
  const pick = (picked: string) =>
    void switchLocale(picked).then((r) => {
      if (!r.ok) say(r.error.message, 'note');
    });
  languages(s.locales, spoken, pick);
  opened();
  events.lead(s);
  if (s.afterHours && !greeted) say(`We're back ${s.afterHours.back}`, 'note');
  // The conversation so far, from the server's log: all of it when the widget opens on the session;
  // after a reconnection only what others said meanwhile (the visitor's own replies are on screen).
  for (const line of s.history ?? []) {
    if (shown.has(line.seq) || (greeted && line.who === 'visitor')) continue;
    shown.add(line.seq);
    say(line.text, line.who === 'visitor' ? 'me' : line.who, line.at, true);
  }
  greeted = true;
  // The page the widget opened on, once the session is there; a reconnection (the socket buffers what
  // it could not send meanwhile) reports nothing twice.
  pages.check();
});
function show(m: BotMessage) {
  if (queue.size() === 0) typing(null);
  if (!seen.has(m.id) && !shown.has(m.seq)) {
    say(m.text, 'bot');
    events.message({ who: 'bot', text: m.text, at: new Date().toISOString() });
  }
  seen.add(m.id);
  shown.add(m.seq);
  render(m);
}
socket.on('bot:message', show);
socket.on('agent:joined', (a) => say(`${a.name} joined the chat`, 'note'));
socket.on('agent:left', (a) => say(`${a.name} left the chat`, 'note'));
socket.on('agent:message', (m) => {
  typing(null);
  if (!shown.has(m.seq)) {
    say(`${m.name}: ${m.text}`, 'agent', m.at);
    events.message({ who: 'agent', text: `${m.name}: ${m.text}`, at: m.at });
  }
  shown.add(m.seq);
});
// An agent's typing clears itself: a lost "stopped" must not leave it on screen.
let agentTyping: ReturnType<typeof setTimeout> | undefined;
socket.on('agent:typing', ({ typing: on, name }) => {
  clearTimeout(agentTyping);
  typing(on ? `${name} is typing…` : null);
  if (on) agentTyping = setTimeout(() => typing(null), 6000);
});
socket.on('disconnect', () => status('Reconnecting…'));
socket.on('connect_error', () => status('Reconnecting…'));
socket.on('connect', () => status(null));
