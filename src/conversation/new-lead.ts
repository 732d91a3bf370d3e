import type { SessionPlan } from '../experiments/assignment.js';
import { firstTouchRow } from '../leads/attribution.js';
import type { LeadRow } from '../persistence/rows.js';
import { UNROUTED } from '../routing/fields.js';
import type { StartOptions } from './types.js';
import type { Change } from './write-path.js';

/**
 * The lead row of a session that has just opened on `workflowVersion`: nothing known yet but where it
 * came from.
 */
export function newLead(
  id: string,
  options: StartOptions,
  plan: SessionPlan,
  at: number,
  workflowVersion: string,
): LeadRow {
  const date = new Date(at);
  return {
    id,
    name: null,
    email: null,
    phone: options.phone ?? null,
    businessType: null,
    location: null,
    staffSize: null,
    monthlySales: null,
    featuresInterested: [],
    customFields: {},
    ...firstTouchRow(options.attribution ?? (options.utmSource ? { utm_source: options.utmSource } : null)),
    locale: options.locale ?? null,
    visitorId: options.visitorId ?? null,
    identity: options.identity ?? null,
    returningFrom: options.returning?.from ?? null,
    returningSql: options.returning?.wasSql ?? false,
    score: 0,
    fitScore: 0,
    engagementScore: 0,
    classification: 'Unqualified',
    state: 'greeting',
    variants: plan.variants,
    questionOrder: plan.questionOrder,
    workflowVersion,
    snapshot: null,
    lastSeq: 0,
    version: 1,
    humanHelp: false,
    takenOverBy: null,
    ...UNROUTED,
    currentPage: null,
    erasedAt: null,
    erasedBy: null,
    channel: options.channel ?? 'web',
    createdAt: date,
    updatedAt: date,
    lastActivityAt: date,
    completedAt: null,
    qualifiedAt: null,
  };
}

/** The change that opens a session: its log's first entry records where it came from and its plan. */
export function openingChange(lead: LeadRow, at: number): Change {
  const { utmSource, firstTouch: attribution, locale, variants, questionOrder } = lead;
  return {
    events: [],
    input: { type: 'session.started', data: { utmSource, attribution, locale, variants, questionOrder } },
    at,
    visitorActivity: true,
  };
}
