import { crmExport, scoreBreakdown } from '../leads/views.js';
import type { LeadRow, LedgerRow } from '../persistence/rows.js';
import type { TranscriptSummary } from './transcript.js';

const TITLES: Record<string, string> = {
  sql: 'SQL lead',
  demo_requested: 'Demo requested',
  contact_shared: 'Contact shared',
  completed: 'Lead completed the questions',
  human_help: 'Visitor asks for a person',
  manual: 'Lead to follow up',
  abandoned_with_contact: 'Left before a CTA, contact details given',
  returning_lead: 'Returning visitor, SQL',
  assigned: 'Lead assigned',
  escalated: 'Lead waiting for the team',
  sla_breached: 'First response overdue',
  callback_requested: 'Callback requested',
};

/**
 * Hand-made notifications are stored as `manual:<id>` and assignments as `assigned:<seq>` (unique per
 * request or assignment); they read as `manual` and `assigned`.
 */
const triggerKind = (trigger: string) => trigger.replace(/^(manual|assigned):.*$/, '$1');

/** What every channel says about a lead, built once per delivery from the stored lead and ledger. */
export interface NotificationMessage {
  /** Unique per notification (webhook-id, idempotency on the receiving side). */
  id: string;
  trigger: string;
  /** "SQL lead: Asha (score 85)". */
  title: string;
  /** The parts of the title, so a chat channel can escape the visitor's name alone (`titleWith`). */
  headline: { what: string; name: string; score: number };
  profile: [label: string, value: string][];
  breakdown: { behavior: string; points: number; count: number }[];
  /** The session in the agent console. */
  link: string;
  note: string | null;
  lead: LeadRow;
  ledger: LedgerRow[];
  /** What the visitor answered, for `abandoned_with_contact` (./transcript.ts). */
  transcript?: TranscriptSummary;
}

export function buildMessage(
  n: { id: number; trigger: string; note: string | null },
  lead: LeadRow,
  ledger: LedgerRow[],
  publicUrl: string,
  transcript?: TranscriptSummary,
): NotificationMessage {
  const kind = triggerKind(n.trigger);
  const what = TITLES[kind] ?? 'Lead update';
  const name = lead.name ?? 'anonymous visitor';
  const e = crmExport(lead);
  const profile: [string, string][] = [
    ['Name', e.name ?? '—'],
    ['Phone', e.phone ?? '—'],
    ['E-mail', e.email ?? '—'],
    ['Business', e.business_type ?? '—'],
    ['Location', e.location ?? '—'],
    ['Staff', e.staff_size ?? '—'],
    ['Monthly sales', e.monthly_sales ?? '—'],
    ['Needs', e.features_interested.join(', ') || '—'],
    [
      'Score',
      `${lead.score} (${lead.classification}): fit ${lead.fitScore}, engagement ${lead.engagementScore}`,
    ],
    ['Source', e.utm_source ?? '—'],
    ['Owner', e.assigned_to ?? '—'],
    // The workflow's custom fields, by name, last (a chat card shows the first ten rows; option ids for choices: the same in every language).
    ...Object.entries(e.custom_fields).map(([name, v]): [string, string] => [
      name,
      Array.isArray(v) ? v.join(', ') || '—' : String(v),
    ]),
  ];
  return {
    id: `msg_${n.id}`,
    trigger: kind,
    title: `${what}: ${name} (score ${lead.score})`,
    headline: { what, name, score: lead.score },
    profile,
    breakdown: scoreBreakdown(ledger),
    link: `${publicUrl}/agent#session=${lead.id}`,
    note: n.note,
    lead,
    ledger,
    ...(transcript ? { transcript } : {}),
  };
}

/** The title with the visitor's name passed through `esc` (chat channels escape it for their markup). */
export function titleWith(m: Pick<NotificationMessage, 'headline'>, esc: (s: string) => string): string {
  const { what, name, score } = m.headline;
  return `${what}: ${esc(name)} (score ${score})`;
}

/** One score breakdown entry as text, `+5 pricing_page_visit ×2`, its behaviour passed through `esc`. */
export function breakdownEntry(
  b: NotificationMessage['breakdown'][number],
  { gap = ' ', esc = (s: string) => s }: { gap?: string; esc?: (s: string) => string } = {},
): string {
  return `${b.points > 0 ? '+' : ''}${b.points}${gap}${esc(b.behavior)}${b.count > 1 ? ` ×${b.count}` : ''}`;
}

/** The lines every plain-text rendering opens with: title, note, profile, and the score breakdown. */
export function summaryHead(
  m: NotificationMessage,
  entry: (b: NotificationMessage['breakdown'][number]) => string,
): string[] {
  return [
    m.title,
    ...(m.note ? ['', m.note] : []),
    '',
    ...m.profile.map(([k, v]) => `${k}: ${v}`),
    '',
    'Score breakdown:',
    ...m.breakdown.map(entry),
  ];
}

/** The message as plain text lines (e-mail text body, chat fallbacks). */
export function messageText(m: NotificationMessage): string {
  return [
    ...summaryHead(m, (b) => `  ${breakdownEntry(b, { gap: '  ' })}`),
    '',
    `Open in the console: ${m.link}`,
  ].join('\n');
}
