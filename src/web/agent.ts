import { io, type Socket } from 'socket.io-client';
import type {
  AgentMessage,
  AgentsClientToServerEvents,
  AgentsServerToClientEvents,
  HandshakeRefusal,
  SessionRef,
} from '../protocol/index.js';
import { AnalyticsPanel } from './analytics-panel.js';
import { Board, languageName } from './board.js';
import { $, el } from './dom.js';
import { showEarlier } from './earlier-leads.js';
import { LeadAlerts } from './lead-alerts.js';
import { agentIdOf, renderSpeed } from './ownership.js';
import { SessionView } from './session-view.js';
import { Tabs } from './tabs.js';
import { SessionTrail } from './trail.js';
import { timeOf } from './transcript.js';
import { WhatsAppDelivery } from './whatsapp-delivery.js';

/**
 * The agent console, assembled: sign in with a token; two tabs (tabs.ts): the Board — the live board
 * with its search, filters and sort (board.ts), alerts (lead-alerts.ts), and the session view with the
 * live transcript and the ledger beside it (session-view.ts), the page trail (trail.ts), the profile,
 * and takeover / send / release — and Analytics (analytics-panel.ts). Text from visitors is only ever
 * set as textContent.
 */

/** Where the console keeps the agent's token for this tab, so a reload stays signed in. */
const TOKEN_KEY = 'lcb-agent-token';
/** The session open in the console, opened again after a reload. */
const SESSION_KEY = 'lcb-agent-session';

let socket: Socket<AgentsServerToClientEvents, AgentsClientToServerEvents> | null = null;
let current: string | null = sessionStorage.getItem(SESSION_KEY);
const trail = new SessionTrail($('now-on'), $('trail'));
const view = new SessionView($('transcript'), $('ledger'), $('attribution'));
const delivery = new WhatsAppDelivery($('wa-delivery'), () => sessionStorage.getItem(TOKEN_KEY));
const analytics = new AnalyticsPanel(
  $('analytics'),
  $('range'),
  () => sessionStorage.getItem(TOKEN_KEY),
  (a) => renderSpeed($('speed'), a.speed_to_lead),
);
const tabs = new Tabs($('console').querySelector('[role=tablist]')!, (panel) =>
  analytics.setShown(panel === 'analytics-view'),
);
const board = new Board(
  {
    body: $('board-body'),
    counts: $('counts'),
    search: $('search'),
    classification: $('filter-class'),
    state: $('filter-state'),
    source: $('filter-source'),
    online: $('filter-online'),
    owner: $('filter-owner'),
    sort: $('sort'),
  },
  (id) => void openSession(id),
  () => agentIdOf(sessionStorage.getItem(TOKEN_KEY)),
);
const alerts = new LeadAlerts(
  { list: $('alerts'), toasts: $('toasts'), sound: $('sound'), notify: $('notify') },
  (id) => void openSession(id),
);

/** Opens a session in the session view; `reveal`: and shows the Board tab it is on. */
async function openSession(sessionId: string, reveal = true): Promise<void> {
  if (!socket) return;
  if (current && current !== sessionId) socket.emit('session:unwatch', { sessionId: current }, () => {});
  current = sessionId;
  sessionStorage.setItem(SESSION_KEY, sessionId);
  if (reveal) tabs.showPanel('board-view');
  view.clear();
  delivery.show(sessionId, board.get(sessionId)?.channel === 'whatsapp');
  showEarlier($('earlier'), $('earlier-leads'), [], () => {});
  $('session').hidden = false;
  const ack = await socket.emitWithAck('session:watch', { sessionId });
  if (!ack.ok) return status(ack.error.message);
  const lead: Record<string, unknown> = {
    ...ack.lead,
    language: ack.lead.locale && languageName(ack.lead.locale),
  };
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
      'fit_score',
      'engagement_score',
      'classification',
      'state',
      'utmSource',
      'language',
    ]
      .filter((k) => lead[k] !== null && lead[k] !== undefined)
      .map((k) => el('li', `${k}: ${Array.isArray(lead[k]) ? (lead[k] as string[]).join(', ') : lead[k]}`)),
    // The workflow's custom fields, each by its name.
    ...Object.entries(ack.lead.custom_fields).map(([k, v]) =>
      el('li', `${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
    ),
  );
  view.open(ack.breakdown, ack.events, ack.lead);
  showEarlier($('earlier'), $('earlier-leads'), ack.earlier, (id) => void openSession(id));
  trail.reset(ack.events);
}

let evidenceTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * A live score change carries its awards without their evidence: a moment later (changes in between
 * share one request) the session is watched again from the last event shown, which answers with the
 * whole ledger, evidence and all, and any event since; live events go on as before.
 */
function evidenceSoon(sessionId: string): void {
  if (evidenceTimer) return;
  evidenceTimer = setTimeout(async () => {
    evidenceTimer = null;
    if (!socket || current !== sessionId) return;
    const ack = await socket.emitWithAck('session:watch', { sessionId, sinceSeq: view.lastSeq });
    if (!ack.ok || current !== sessionId) return;
    for (const e of ack.events) if (view.append(e)) trail.add(e);
    view.placeLedger(ack.breakdown);
  }, 300);
}

function status(text: string): void {
  $('status').textContent = text;
}

/** Takes the open session over, releases it, writes to its visitor, or marks it contacted. */
async function act(
  event: 'session:takeover' | 'session:release' | 'agent:message' | 'lead:contacted',
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
    if (ack.ok) board.load(ack.sessions);
    if (current) void openSession(current, false);
    tabs.restore();
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
    board.update(r);
    analytics.refreshSoon();
  });
  socket.on('lead:alert', (a) => alerts.receive(a));
  socket.on('session:event', (e) => {
    if (e.sessionId !== current) return;
    if (!view.append(e)) return;
    trail.add(e);
    if (e.type === 'score.changed') evidenceSoon(e.sessionId);
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
$('takeover').addEventListener('click', () => void act('session:takeover'));
$('release').addEventListener('click', () => void act('session:release'));
$('contacted').addEventListener('click', () => void act('lead:contacted'));
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
