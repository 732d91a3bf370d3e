import { io, type Socket } from 'socket.io-client';
import type {
  BotMessage,
  ChatClientToServerEvents,
  ChatServerToClientEvents,
  RefusalDetails,
  VisitorAck,
  VisitorContact,
  VisitorReply,
} from '../protocol/index.js';
import { visitAttribution } from './attribution.js';
import { watchPages } from './page-views.js';

/**
 * The embeddable chat widget: `<script src="https://bot.example/widget.js" data-server="https://bot.example"
 * data-utm-source="google"></script>`. It sends where the visitor came from (the page's utm_* and click ids,
 * the referrer, the landing page) with every handshake. A bubble opens the chat; bot questions come with option buttons,
 * a contact form and CTA buttons; agents' messages show too. The session is remembered across reloads and
 * the socket reconnects by itself. The page the visitor is on, and every navigation of a single-page app,
 * is reported (`visitor:page`): agents see where the visitor is. Everything from the server is put on the
 * page as text, never as HTML.
 */

const script = document.currentScript as HTMLScriptElement | null;
const server = script?.dataset.server || (script ? new URL(script.src).origin : location.origin);
// Where the visitor came from: this visit's campaign parameters, click ids, referrer and landing page.
const attribution = visitAttribution(script);
const STORAGE_KEY = `lcb-session:${server}`;

const css = `
.lcb-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#1f6feb;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}
.lcb-panel{position:fixed;right:20px;bottom:88px;width:340px;max-height:520px;display:none;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.4 system-ui,sans-serif;overflow:hidden;z-index:2147483000}
.lcb-panel.open{display:flex}
.lcb-head{background:#1f6feb;color:#fff;padding:10px 14px;font-weight:600}
.lcb-log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;min-height:200px}
.lcb-msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}
.lcb-bot{background:#f0f2f5;align-self:flex-start}.lcb-agent{background:#fff4d6;align-self:flex-start}
.lcb-me{background:#1f6feb;color:#fff;align-self:flex-end}.lcb-note{color:#666;font-size:12px;align-self:center}
.lcb-input{border-top:1px solid #e5e7eb;padding:8px;display:flex;flex-wrap:wrap;gap:6px}
.lcb-input button{border:1px solid #1f6feb;background:#fff;color:#1f6feb;border-radius:16px;padding:5px 10px;cursor:pointer}
.lcb-input button.primary{background:#1f6feb;color:#fff}
.lcb-input input{flex:1;min-width:0;padding:6px 8px;border:1px solid #ccc;border-radius:6px}
.lcb-input label{display:flex;gap:4px;align-items:center;width:100%}`;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
}

const style = el('style', { textContent: css });
const log = el('div', { className: 'lcb-log' });
const input = el('div', { className: 'lcb-input' });
const panel = el('div', { className: 'lcb-panel' }, [
  el('div', { className: 'lcb-head', textContent: 'Chat with us' }),
  log,
  input,
]);
const bubble = el('button', { className: 'lcb-bubble', textContent: '💬', title: 'Chat' });
bubble.setAttribute('aria-label', 'Open chat');
bubble.addEventListener('click', () => panel.classList.toggle('open'));
document.body.append(style, panel, bubble);

const say = (text: string, who: 'bot' | 'agent' | 'me' | 'note') => {
  log.append(el('div', { className: `lcb-msg lcb-${who}`, textContent: text }));
  log.scrollTop = log.scrollHeight;
};

// The wire types come from the server's protocol module: types only, erased from the bundle.
const socket: Socket<ChatServerToClientEvents, ChatClientToServerEvents> = io(`${server}/chat`, {
  // Read at every (re)connection, so a reconnect resumes the same session.
  auth: (cb) => cb({ sessionId: localStorage.getItem(STORAGE_KEY) ?? undefined, ...attribution }),
});
let counter = 0;
const messageId = () => `${Date.now().toString(36)}-${(counter++).toString(36)}`;
const seen = new Set<string>();

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
  input.replaceChildren();
  const ack: VisitorAck | null = await socket
    .timeout(10_000)
    .emitWithAck(event, { clientMessageId: messageId(), ...payload })
    .catch(() => null);
  if (ack?.ok) return;
  say(ack?.error?.message ?? 'Could not send; please try again.', 'note');
  // Never leave the visitor without a way to answer: the prompt the conversation waits on now when the
  // refusal names it (another tab or node moved it on), else the one shown before.
  const waiting = (ack?.error?.details as RefusalDetails | undefined)?.prompt;
  if (waiting) show(waiting);
  else if (current) render(current);
}

let current: BotMessage | null = null;

function render(m: BotMessage) {
  current = m;
  input.replaceChildren();
  const options = m.options ?? [];
  if (m.input === 'choice' || m.input === 'cta') {
    for (const o of options) {
      input.append(
        el('button', {
          textContent: o.label,
          onclick: () => void send('visitor:reply', { optionIds: [o.id] }, o.label),
        }),
      );
    }
  } else if (m.input === 'multi_choice') {
    const boxes = options.map((o) => {
      const box = el('input', { type: 'checkbox', value: o.id });
      input.append(el('label', {}, [box, document.createTextNode(o.label)]));
      return { box, o };
    });
    input.append(
      el('button', {
        className: 'primary',
        textContent: 'Send',
        onclick: () => {
          const picked = boxes.filter((b) => b.box.checked);
          if (picked.length === 0) return;
          void send(
            'visitor:reply',
            { optionIds: picked.map((p) => p.o.id) },
            picked.map((p) => p.o.label).join(', '),
          );
        },
      }),
    );
  } else if (m.input === 'text') {
    const field = el('input', { type: 'text', placeholder: 'Type your answer', maxLength: 2000 });
    const submit = () => field.value.trim() && void send('visitor:reply', { text: field.value }, field.value);
    field.addEventListener('keydown', (e) => e.key === 'Enter' && submit());
    input.append(field, el('button', { className: 'primary', textContent: 'Send', onclick: submit }));
  } else if (m.input === 'contact') {
    const name = el('input', { placeholder: 'Name', name: 'name' });
    const phone = el('input', { placeholder: 'Phone', name: 'phone', type: 'tel' });
    const email = el('input', { placeholder: 'E-mail', name: 'email', type: 'email' });
    input.append(
      name,
      phone,
      email,
      el('button', {
        className: 'primary',
        textContent: 'Send',
        onclick: () => {
          const payload = Object.fromEntries(
            [
              ['name', name.value],
              ['phone', phone.value],
              ['email', email.value],
            ].filter(([, v]) => v?.trim()),
          );
          void send(
            'visitor:contact',
            payload,
            [name.value, phone.value, email.value].filter(Boolean).join(' · '),
          );
        },
      }),
      el('button', {
        textContent: options[0]?.label ?? 'Skip',
        onclick: () => void send('visitor:contact', { skip: true }, 'Skip'),
      }),
    );
  }
}

// Not acknowledged by anyone waiting: a page view that is refused (over the budget) is simply lost.
const pages = watchPages((page) =>
  socket.emit('visitor:page', { clientMessageId: messageId(), ...page }, () => {}),
);
socket.on('session', (s) => {
  localStorage.setItem(STORAGE_KEY, s.sessionId);
  // The page the widget opened on, once the session is there; a reconnection (the socket buffers what
  // it could not send meanwhile) reports nothing twice.
  pages.check();
});
function show(m: BotMessage) {
  if (!seen.has(m.id)) {
    seen.add(m.id);
    say(m.text, 'bot');
  }
  render(m);
}
socket.on('bot:message', show);
socket.on('agent:joined', (a) => say(`${a.name} joined the chat`, 'note'));
socket.on('agent:left', (a) => say(`${a.name} left the chat`, 'note'));
socket.on('agent:message', (m) => say(`${m.name}: ${m.text}`, 'agent'));
socket.on('connect_error', () => say('Reconnecting…', 'note'));
