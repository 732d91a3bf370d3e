import type { ReportedMetadata } from '../persistence/lead-queries.js';
import type { LeadRow, LedgerRow } from '../persistence/rows.js';
import { ownerName } from '../routing/fields.js';
import type { Workflow } from '../workflow/schema.js';
import { ATTRIBUTION_EXPORT_FIELDS, attributionExport, attributionView } from './attribution.js';

/**
 * The CRM export of one lead: the seed's keys, then the attribution keys and the score's parts (also the
 * body of CRM webhooks); `assigned_to` is the lead's owner (routing: the agent's name, else the team),
 * `callback_at` the time the visitor asked to be called back after hours (ISO), else null.
 */
export function crmExport(lead: LeadRow) {
  const contact = [lead.email, lead.phone].filter((v): v is string => Boolean(v));
  return {
    name: lead.name ?? null,
    location: lead.location ?? null,
    business_type: lead.businessType ?? null,
    staff_size: lead.staffSize ?? null,
    monthly_sales: lead.monthlySales ?? null,
    features_interested: lead.featuresInterested,
    contact_info: contact.length > 0 ? contact.join(' / ') : null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    lead_score: lead.score,
    lead_type: lead.classification,
    utm_source: lead.utmSource ?? null,
    session_start_time: lead.createdAt.toISOString(),
    assigned_to: ownerName(lead),
    callback_at: lead.callbackAt?.toISOString() ?? null,
    ...attributionExport(lead),
    // After the seed's keys and the attribution: the score's two parts (they add up to lead_score),
    // then the workflow's own fields.
    fit_score: lead.fitScore,
    engagement_score: lead.engagementScore,
    custom_fields: lead.customFields,
  };
}

/** A lead in a lead list: its session id, then its CRM export with its owner (agent, else team). */
export function crmExportRow(lead: LeadRow) {
  return { session_id: lead.id, ...crmExport(lead) };
}
export type CrmExportRow = ReturnType<typeof crmExportRow>;

/** A lead in a bulk export: its CRM row, then the behaviours it reported with metadata. */
export function leadExportRow(lead: LeadRow, behaviorMetadata: readonly ReportedMetadata[]) {
  // Added to the row itself, not copied into another: an export makes one of these per lead.
  return Object.assign(crmExportRow(lead), { behavior_metadata: behaviorMetadata });
}
export type LeadExportRow = ReturnType<typeof leadExportRow>;

/** A lead in the agents' lead lists: its bulk export row, its state and when it was last active. */
export function leadListRow(lead: LeadRow) {
  return { ...crmExportRow(lead), state: lead.state, last_activity_at: lead.lastActivityAt.toISOString() };
}
export type LeadListRow = ReturnType<typeof leadListRow>;

/** The CRM export's keys, in the seed's order, then the attribution keys and the score's parts (CSV columns). */
export const CRM_FIELDS = [
  'name',
  'location',
  'business_type',
  'staff_size',
  'monthly_sales',
  'features_interested',
  'contact_info',
  'email',
  'phone',
  'lead_score',
  'lead_type',
  'utm_source',
  'session_start_time',
  'assigned_to',
  'callback_at',
  ...ATTRIBUTION_EXPORT_FIELDS,
  'fit_score',
  'engagement_score',
] as const satisfies readonly (keyof ReturnType<typeof crmExport>)[];

/** The lead's profile and score as the seed's summary shows them. */
export function leadData(lead: LeadRow) {
  return {
    name: lead.name ?? null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    business_type: lead.businessType ?? null,
    location: lead.location ?? null,
    staff_size: lead.staffSize ?? null,
    monthly_sales: lead.monthlySales ?? null,
    features_interested: lead.featuresInterested,
    custom_fields: lead.customFields,
    lead_score: lead.score,
    /** The score's parts: answer values (fit) and every other behaviour (engagement). */
    fit_score: lead.fitScore,
    engagement_score: lead.engagementScore,
    classification: lead.classification,
  };
}

/**
 * The lead summary: the earlier service's code answered flat keys, its README a nested `lead_data`;
 * this answers both (the same values), with the session id and the scored behaviours.
 */
export function leadSummary(lead: LeadRow, ledger: readonly LedgerRow[]) {
  const data = leadData(lead);
  const { classification: _, ...flat } = data;
  return {
    session_id: lead.id,
    ...flat,
    lead_type: lead.classification,
    utm_source: lead.utmSource ?? null,
    lead_data: data,
    attribution: attributionView(lead),
    behaviors: ledger.map((e) => ({ action: e.behavior, score: e.points, at: e.at.toISOString() })),
  };
}

/** Points per behavior, in the order first earned. */
export function scoreBreakdown(ledger: readonly LedgerRow[]) {
  const rows = new Map<string, { behavior: string; points: number; count: number }>();
  for (const e of ledger) {
    const row = rows.get(e.behavior) ?? { behavior: e.behavior, points: 0, count: 0 };
    row.points += e.points;
    row.count += 1;
    rows.set(e.behavior, row);
  }
  return [...rows.values()];
}

/**
 * A branched question's branches as the question list shows them: `when` as in the workflow, and `next`
 * by option id (ids, unlike labels, are the same in every language); nothing for a question that does
 * not branch (every visitor is asked it).
 */
function branchesOf(q: Workflow['questions'][number]) {
  const jumps = q.options.filter((o) => o.next !== undefined).map((o) => [o.id, o.next!] as const);
  return {
    ...(q.when ? { when: q.when } : {}),
    ...(jumps.length > 0 ? { next: Object.fromEntries(jumps) } : {}),
  };
}

/**
 * The question flow as the seed lists it: greeting, profile questions, contact. With a visitor's `path`,
 * only the profile questions on it, in its order.
 */
export function questionList(workflow: Workflow, path?: readonly number[]) {
  const questions = path
    ? path.flatMap((id) => workflow.questions.filter((q) => q.id === id))
    : workflow.questions;
  const list = [
    {
      id: workflow.greeting.questionId,
      step: 'greeting',
      question_text: workflow.greeting.text,
      question_type: 'single_choice' as const,
      options: workflow.greeting.options.map((o) => o.label),
      required: true,
    },
    ...questions.map((q) => ({
      id: q.id,
      step: q.step,
      question_text: q.text,
      question_type: q.type,
      options: q.options.map((o) => o.label),
      required: q.required,
      ...branchesOf(q),
    })),
    {
      id: workflow.contact.questionId,
      step: 'contact',
      question_text: workflow.contact.text,
      question_type: 'contact' as const,
      options: [],
      required: false,
    },
  ];
  return list.map((q, i) => ({ ...q, order_index: i + 1 }));
}

/**
 * The question a prompt puts, as the question list shows it and in the words this session was shown
 * (an experiment may change the greeting); null for a prompt that asks no question.
 */
export function promptedQuestion(workflow: Workflow, prompt: { questionId?: number; text: string } | null) {
  if (prompt?.questionId === undefined) return null;
  const question = questionList(workflow).find((q) => q.id === prompt.questionId);
  return question ? { ...question, question_text: prompt.text } : null;
}

/** A menu as the seed shapes it (the product menu, the CTA options): each item's points are its `score`. */
export function menu(items: readonly { id: string; title: string; description: string; points: number }[]) {
  return items.map(({ id, title, description, points }) => ({ id, title, description, score: points }));
}

/** One row of the agents' live lead board. */
export interface BoardRow {
  sessionId: string;
  state: string;
  score: number;
  /** The score's parts: answer values, and every other behaviour. */
  fit: number;
  engagement: number;
  classification: string;
  utmSource: string | null;
  name: string | null;
  businessType: string | null;
  /** The e-mail and the city the visitor gave (the console's search reads them), or null. */
  email: string | null;
  location: string | null;
  /** The language the visitor speaks (a locale of the workflow), or null for a session before languages. */
  locale: string | null;
  /** The door the visitor came in by: `web` (the widget, REST) or `whatsapp`. */
  channel: 'web' | 'whatsapp';
  startedAt: string;
  lastActivityAt: string;
  connected: boolean;
  takenOverBy: string | null;
  /** The page the visitor reported last (their widget's page views), as reported; absent before any. */
  currentPage?: string;
  /** Routing: the owning agent (id and name) and team; null until the lead is routed. */
  assignedTo: string | null;
  assignedName: string | null;
  team: string | null;
}

export function boardRow(lead: LeadRow, connected: boolean): BoardRow {
  return {
    sessionId: lead.id,
    state: lead.state,
    score: lead.score,
    fit: lead.fitScore,
    engagement: lead.engagementScore,
    classification: lead.classification,
    utmSource: lead.utmSource ?? null,
    name: lead.name ?? null,
    businessType: lead.businessType ?? null,
    email: lead.email ?? null,
    location: lead.location ?? null,
    locale: lead.locale ?? null,
    channel: lead.channel ?? 'web',
    startedAt: lead.createdAt.toISOString(),
    lastActivityAt: lead.lastActivityAt.toISOString(),
    connected,
    takenOverBy: lead.takenOverBy ?? null,
    ...(lead.currentPage ? { currentPage: lead.currentPage } : {}),
    assignedTo: lead.assignedTo ?? null,
    assignedName: lead.assignedName ?? null,
    team: lead.assignedTeam ?? null,
  };
}
