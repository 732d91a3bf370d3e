import type { BoardRow, SessionEventMessage } from '../protocol/index.js';
import type { SpeedGroup, SpeedToLead } from '../routing/speed.js';

/**
 * What the console shows of routing: who owns each board row, which rows are the agent's own, and the
 * speed-to-lead table of the analytics panel. Text is only ever set as textContent.
 */

/** The agent id (`sub`) the console's token names: only to put the agent's own leads first. */
export function agentIdOf(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

/** The owner as the board shows it: the agent's name, else the team holding the lead. */
export const ownerOf = (r: BoardRow) => r.assignedName ?? (r.team ? `team ${r.team}` : '');

/** Whether a board row is the signed-in agent's own lead (routing made them its owner). */
export const isMineFor = (me: string | null) => (r: BoardRow) => me !== null && r.assignedTo === me;

const seconds = (v: number | null) =>
  v === null ? '—' : v < 120 ? `${Math.round(v)} s` : `${(v / 60).toFixed(1)} min`;

function row(label: string, g: SpeedGroup): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of [label, String(g.responded), seconds(g.median_seconds), seconds(g.p90_seconds)]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

/** Speed to lead: routed → first agent action, median and p90, overall, per agent and per team. */
export function renderSpeed(box: HTMLElement, s: SpeedToLead | undefined): void {
  if (!s) {
    box.replaceChildren();
    return;
  }
  const title = document.createElement('h3');
  title.textContent = `Speed to lead (SLA ${seconds(s.sla_seconds)}): ${s.routed} routed, ${s.waiting} waiting, ${s.sla_breached} over the SLA`;
  const table = document.createElement('table');
  const head = document.createElement('tr');
  for (const text of ['', 'answered', 'median', 'p90']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.append(th);
  }
  table.append(
    head,
    row('all', s.overall),
    ...s.by_team.map((t) => row(`team ${t.team}`, t)),
    ...s.by_agent.map((a) => row(a.name ?? a.agent_id, a)),
  );
  box.replaceChildren(title, table);
}

/** How the transcript words routing's events of the session log (null: not one of them). */
export function routingLine(e: SessionEventMessage): { who: 'note'; text: string } | null {
  const d = e.data;
  const team = `team ${String(d.team ?? '')}`;
  switch (e.type) {
    case 'lead.assigned':
      return { who: 'note', text: `assigned to ${d.name} (${team})` };
    case 'lead.routed':
      return { who: 'note', text: `routed to ${team}: no agent free` };
    case 'lead.reassigned':
      return { who: 'note', text: `reassigned to ${d.name}${d.by ? ` by ${d.by}` : ''} (${team})` };
    case 'lead.escalated':
      return { who: 'note', text: `escalated to ${team}` };
    case 'lead.sla_breached':
      return { who: 'note', text: 'first response overdue' };
    case 'agent.contacted':
      return { who: 'note', text: `${d.name} marked contacted` };
    case 'lead.callback_offered':
      return { who: 'note', text: `after hours (${team}): the bot asks for a callback time` };
    case 'lead.callback_requested':
      return { who: 'note', text: `callback requested for ${d.label} (${team})` };
    case 'visitor.returned':
      return { who: 'note', text: 'the visitor came back in a new session: its touch is the last' };
    default:
      return null;
  }
}
