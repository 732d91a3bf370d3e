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
import { SessionTrail, shortPage } from './trail.js';

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

const rows = new Map<string, Row>();
let socket: Socket<AgentsServerToClientEvents, AgentsClientToServerEvents> | null = null;
let current: string | null = null;
const trail = new SessionTrail($('now-on'), $('trail'));

function renderBoard(): void {
  const body = $('board-body');
  const sorted = [...rows.values()].sort(
    (a, b) => b.score - a.score || b.lastActivityAt.localeCompare(a.lastActivityAt),
  );
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

function describe(e: SessionEventMessage): { who: string; text: string } | null {
  const d = e.data;
  switch (e.type) {
    case 'bot.prompt':
      return { who: 'bot', text: String(d.text ?? '') };
    case 'visitor.input': {
      const c = d.command as Record<string, unknown>;
      if (c.kind === 'page') return { who: 'note', text: `viewed ${shortPage(String(c.url))}` };
      const text =
        c.text ?? (c.optionIds as string[] | undefined)?.join(', ') ?? c.action ?? c.targetId ?? '';
      const contact = [c.name, c.phone, c.email].filter(Boolean).join(' · ');
      // What the client attached to a behaviour or an exit, shown as it came (as text, like all of it).
      const metadata = c.metadata === undefined ? '' : ` ${JSON.stringify(c.metadata)}`;
      return { who: 'visitor', text: String(contact || text || c.kind) + metadata };
    }
    case 'agent.message':
      return { who: 'agent', text: `${d.name}: ${d.text}` };
    case 'agent.joined':
      return { who: 'note', text: `${d.name} took over` };
    case 'agent.left':
      return { who: 'note', text: `${d.name} released the session` };
    case 'score.changed': {
      const awarded = (d.awarded as { behavior: string; points: number }[]).map(
        (a) => `${a.behavior} ${a.points > 0 ? '+' : ''}${a.points}`,
      );
      return { who: 'score', text: `${awarded.join(', ')} → ${d.score} (${d.classification})` };
    }
    case 'state.changed':
      return { who: 'note', text: `state: ${d.from ?? 'new'} → ${d.to}` };
    default:
      return null;
  }
}

function appendEvent(e: SessionEventMessage): void {
  const line = describe(e);
  if (!line) return;
  const item = el('li', line.text, line.who);
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
  $('transcript').replaceChildren();
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

interface AnalyticsData {
  total_leads: number;
  conversion_rate: number;
  by_day: { day: string; sql_leads: number; mql_leads: number; unqualified_leads: number }[];
  funnel: { step: string; reached: number; answered: number }[];
  by_variant: { test_name: string; variant: string; leads: number; conversion_rate: number }[];
}

/** One labelled bar made of coloured segments, each a share of `max`. */
function barRow(
  label: string,
  segments: [cls: string, value: number][],
  max: number,
  note = '',
): HTMLElement {
  const row = el('div', '', 'bar-row');
  const track = el('div', '', 'bar-track');
  for (const [cls, value] of segments) {
    const bar = el('div', '', `bar ${cls}`);
    bar.style.width = `${max === 0 ? 0 : (100 * value) / max}%`;
    bar.title = `${cls}: ${value}`;
    track.append(bar);
  }
  row.append(el('span', label, 'label'), track, el('span', note));
  return row;
}

function chart(title: string, rows: HTMLElement[]): HTMLElement {
  const box = el('div', '', 'chart');
  box.append(el('h3', title), ...(rows.length > 0 ? rows : [el('p', 'No data yet.')]));
  return box;
}

/** Funnel, classification mix over time and variant comparison, from the analytics API. */
async function loadAnalytics(token: string): Promise<void> {
  const res = await fetch('/api/analytics/leads?days=30', { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return;
  const a = (await res.json()) as AnalyticsData;
  const dayMax = Math.max(0, ...a.by_day.map((d) => d.sql_leads + d.mql_leads + d.unqualified_leads));
  const reachMax = Math.max(0, ...a.funnel.map((f) => f.reached));
  $('analytics').replaceChildren(
    el('p', `${a.total_leads} leads, ${(100 * a.conversion_rate).toFixed(1)} % SQL`),
    chart(
      'Funnel (reached / answered)',
      a.funnel.map((f) =>
        barRow(
          f.step,
          [
            ['answered', f.answered],
            ['reached', f.reached - f.answered],
          ],
          reachMax,
          `${f.answered}/${f.reached}`,
        ),
      ),
    ),
    chart(
      'Classification by day',
      a.by_day.map((d) =>
        barRow(
          d.day.slice(5),
          [
            ['sql', d.sql_leads],
            ['mql', d.mql_leads],
            ['unqualified', d.unqualified_leads],
          ],
          dayMax,
        ),
      ),
    ),
    chart(
      'Variants (SQL rate)',
      a.by_variant.map((v) =>
        barRow(
          `${v.test_name}: ${v.variant}`,
          [['rate', v.conversion_rate]],
          1,
          `${(100 * v.conversion_rate).toFixed(1)} % of ${v.leads}`,
        ),
      ),
    ),
  );
}

function connect(token: string): void {
  socket?.close();
  socket = io('/agents', { auth: { token } });
  socket.on('connect', async () => {
    sessionStorage.setItem('lcb-agent-token', token);
    $('signin').hidden = true;
    $('console').hidden = false;
    status('');
    const ack = await socket!.emitWithAck('sessions:list', {});
    if (ack.ok) for (const r of ack.sessions) rows.set(r.sessionId, r);
    renderBoard();
    if (current) void openSession(current);
    void loadAnalytics(token);
  });
  socket.on('connect_error', (err: HandshakeRefusal) => {
    status(err.data?.message ?? err.message);
    $('signin').hidden = false;
  });
  socket.on('auth:expired', () => {
    sessionStorage.removeItem('lcb-agent-token');
    status('Your token expired; sign in again.');
  });
  socket.on('board:update', (r) => {
    rows.set(r.sessionId, r);
    renderBoard();
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
    $('typing').textContent = 'Visitor is typing…';
    setTimeout(() => ($('typing').textContent = ''), 2000);
  });
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect(($('token') as HTMLInputElement).value.trim());
});
$('takeover').addEventListener('click', () => void act('session:takeover'));
$('release').addEventListener('click', () => void act('session:release'));
$('send-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const field = $('message') as HTMLInputElement;
  if (!field.value.trim()) return;
  void act('agent:message', { text: field.value });
  field.value = '';
});
const saved = sessionStorage.getItem('lcb-agent-token');
if (saved) connect(saved);
