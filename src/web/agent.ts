import { io, type Socket } from 'socket.io-client';
import type {
  AgentMessage,
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  BoardRow,
  HandshakeRefusal,
  LedgerEntry,
  SessionEventMessage,
  SessionRef,
} from '../protocol/index.js';
import { AnalyticsPanel } from './analytics-panel.js';
import { SessionTrail, shortPage } from './trail.js';
import { TranscriptReader, timeOf } from './transcript.js';

/**
 * The agent console: sign in with a token, a live board sorted by score, alerts, and a session view
 * with the live transcript, the page trail (and on the board, the page each visitor is on now), the score breakdown with its evidence, the profile, and takeover / send /
 * release. Text from visitors is only ever set as textContent.
 */

/** The board and the session view show what the server sends: its protocol's types, erased when bundled. */
type Row = BoardRow;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = '') => {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
};

/** Where the console keeps the agent's token for this tab, so a reload stays signed in. */
const TOKEN_KEY = 'lcb-agent-token';
/** The session open in the console, opened again after a reload. */
const SESSION_KEY = 'lcb-agent-session';

const rows = new Map<string, Row>();
let socket: Socket<AgentsServerToClientEvents, AgentsClientToServerEvents> | null = null;
let current: string | null = sessionStorage.getItem(SESSION_KEY);
const trail = new SessionTrail($('now-on'), $('trail'));
const transcript = new TranscriptReader();
const analytics = new AnalyticsPanel($('analytics'), () => sessionStorage.getItem(TOKEN_KEY));

/** Whether a row matches what the agent typed in the search box: its name, e-mail, business or city. */
function matches(query: string): (r: Row) => boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return (r) => {
    const text = [r.name, r.email, r.businessType, r.location].filter(Boolean).join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  };
}

/** How many of the rows shown are of each classification. */
function renderCounts(shown: Row[]): void {
  $('counts').replaceChildren(
    ...['SQL', 'MQL', 'Unqualified'].map((c) => {
      const count = el('span', `${c} ${shown.filter((r) => r.classification === c).length}`, 'count');
      count.dataset.classification = c;
      return count;
    }),
  );
}

function renderBoard(): void {
  const body = $('board-body');
  const shown = [...rows.values()].filter(matches(($('search') as HTMLInputElement).value));
  renderCounts(shown);
  const sorted = shown.sort((a, b) => b.score - a.score || b.lastActivityAt.localeCompare(a.lastActivityAt));
  body.replaceChildren(
    ...sorted.map((r) => {
      const tr = el('tr');
      tr.dataset.session = r.sessionId;
      const badge = el('span', r.classification, `badge ${r.classification.toLowerCase()}`);
      const cells = [
        el('td', r.name ?? '(anonymous)'),
        el('td', r.businessType ?? ''),
        el('td', String(r.score), 'score'),
        el('td'),
        el('td', r.state),
        el('td', r.currentPage ? `now on ${shortPage(r.currentPage)}` : '', 'page'),
        el('td', r.connected ? 'online' : 'offline', r.connected ? 'online' : 'offline'),
        el('td', r.takenOverBy ?? ''),
        el('td', r.utmSource ?? ''),
      ];
      cells[3]!.append(badge);
      tr.append(...cells);
      tr.addEventListener('click', () => void openSession(r.sessionId));
      return tr;
    }),
  );
}

function appendEvent(e: SessionEventMessage): void {
  const line = transcript.read(e);
  if (!line) return;
  const item = el('li', '', line.who);
  item.append(el('time', timeOf(e.at)), document.createTextNode(line.text));
  item.querySelector('time')!.dateTime = e.at;
  item.dataset.seq = String(e.seq);
  $('transcript').append(item);
  $('transcript').scrollTop = $('transcript').scrollHeight;
}

function renderLedger(ledger: LedgerEntry[]): void {
  $('ledger').replaceChildren(
    ...ledger.map((l) => {
      const evidence = Object.entries(l.evidence)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return el(
        'li',
        `${l.points > 0 ? '+' : ''}${l.points} ${l.behavior}${evidence ? ` (${evidence})` : ''}`,
      );
    }),
  );
}

async function openSession(sessionId: string): Promise<void> {
  if (!socket) return;
  if (current && current !== sessionId) socket.emit('session:unwatch', { sessionId: current }, () => {});
  current = sessionId;
  sessionStorage.setItem(SESSION_KEY, sessionId);
  $('transcript').replaceChildren();
  transcript.reset();
  $('session').hidden = false;
  const ack = await socket.emitWithAck('session:watch', { sessionId });
  if (!ack.ok) return status(ack.error.message);
  const lead: Record<string, unknown> = ack.lead;
  $('profile').replaceChildren(
    ...[
      'name',
      'email',
      'phone',
      'business_type',
      'location',
      'staff_size',
      'monthly_sales',
      'lead_score',
      'classification',
      'state',
      'utmSource',
    ]
      .filter((k) => lead[k] !== null && lead[k] !== undefined)
      .map((k) => el('li', `${k}: ${Array.isArray(lead[k]) ? (lead[k] as string[]).join(', ') : lead[k]}`)),
    // The workflow's custom fields, each by its name.
    ...Object.entries(ack.lead.custom_fields).map(([k, v]) =>
      el('li', `${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
    ),
  );
  renderLedger(ack.breakdown);
  for (const e of ack.events) appendEvent(e);
  trail.reset(ack.events);
}

function status(text: string): void {
  $('status').textContent = text;
}

/** Takes the open session over, releases it, or writes to its visitor. */
async function act(
  event: 'session:takeover' | 'session:release' | 'agent:message',
  extra: Omit<AgentMessage, keyof SessionRef> | Record<string, never> = {},
): Promise<void> {
  if (!socket || !current) return;
  const ack = await socket.emitWithAck(event, { sessionId: current, ...extra });
  status(ack.ok ? '' : ack.error.message);
}

/** The token is no good any more: forget it, say why, and ask for another. */
function signedOut(why: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  socket?.close();
  socket = null;
  $('console').hidden = true;
  $('signin').hidden = false;
  ($('token') as HTMLInputElement).value = '';
  status(why);
}

let visitorTyping: ReturnType<typeof setTimeout> | undefined;

function connect(token: string): void {
  socket?.close();
  socket = io('/agents', { auth: { token } });
  socket.on('connect', async () => {
    sessionStorage.setItem(TOKEN_KEY, token);
    $('signin').hidden = true;
    $('console').hidden = false;
    status('');
    const ack = await socket!.emitWithAck('sessions:list', {});
    if (ack.ok) for (const r of ack.sessions) rows.set(r.sessionId, r);
    renderBoard();
    if (current) void openSession(current);
    void analytics.load();
  });
  socket.on('connect_error', (err: HandshakeRefusal) => {
    // A refused token is not tried again (socket.io gives up on a refusal); a server that is away is.
    if (err.data?.code === 'unauthorized')
      return signedOut(`Sign-in refused: ${err.data.message} Sign in again.`);
    status(err.data?.message ?? err.message);
  });
  socket.on('auth:expired', () => {
    signedOut(`Your sign-in expired at ${timeOf(new Date().toISOString())}; sign in again.`);
  });
  socket.on('board:update', (r) => {
    rows.set(r.sessionId, r);
    renderBoard();
    analytics.refreshSoon();
  });
  socket.on('lead:alert', (a) => {
    const item = el('li', `${a.trigger}: ${a.lead.name ?? a.sessionId} (score ${a.lead.score})`);
    item.addEventListener('click', () => void openSession(a.sessionId));
    $('alerts').prepend(item);
  });
  socket.on('session:event', (e) => {
    if (e.sessionId !== current) return;
    appendEvent(e);
    trail.add(e);
    if (e.type === 'score.changed') {
      for (const a of e.data.awarded as { behavior: string; points: number }[]) {
        $('ledger').append(el('li', `${a.points > 0 ? '+' : ''}${a.points} ${a.behavior}`));
      }
    }
  });
  socket.on('session:viewers', (v) => {
    if (v.sessionId === current)
      $('viewers').textContent = `Viewing: ${v.viewers.map((x) => x.name).join(', ')}`;
  });
  socket.on('session:typing', (t) => {
    if (t.sessionId !== current) return;
    clearTimeout(visitorTyping);
    $('typing').textContent = t.typing ? 'Visitor is typing…' : '';
    if (t.typing) visitorTyping = setTimeout(() => ($('typing').textContent = ''), 4000);
  });
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect(($('token') as HTMLInputElement).value.trim());
});
$('search').addEventListener('input', renderBoard);
$('takeover').addEventListener('click', () => void act('session:takeover'));
$('release').addEventListener('click', () => void act('session:release'));
// The visitor sees the agent typing: told at most every 2 s while keys go down, and when it is sent.
let typedAt = 0;
$('message').addEventListener('input', () => {
  if (!socket || !current || Date.now() - typedAt < 2000) return;
  typedAt = Date.now();
  socket.emit('agent:typing', { sessionId: current, typing: true });
});
$('send-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const field = $('message') as HTMLInputElement;
  if (!field.value.trim()) return;
  typedAt = 0;
  if (socket && current) socket.emit('agent:typing', { sessionId: current, typing: false });
  void act('agent:message', { text: field.value });
  field.value = '';
});
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) connect(saved);
