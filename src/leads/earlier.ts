import type { LeadRow } from '../persistence/rows.js';
import type { Classification } from '../scoring/classification.js';

/** One of a returning visitor's earlier leads, as the agent's session view lists it. */
export interface EarlierLead {
  sessionId: string;
  startedAt: string;
  classification: Classification;
  score: number;
  state: string;
  /** What linked it: the same browser (visitor id) or the same verified user (identity). */
  linkedBy: 'visitor_id' | 'identity';
}

/** The earlier leads of `lead`'s visitor, as agents see them. */
export function earlierLeadViews(
  lead: Pick<LeadRow, 'identity'>,
  rows: readonly Pick<LeadRow, 'id' | 'createdAt' | 'classification' | 'score' | 'state' | 'identity'>[],
): EarlierLead[] {
  return rows.map((r) => ({
    sessionId: r.id,
    startedAt: r.createdAt.toISOString(),
    classification: r.classification,
    score: r.score,
    state: r.state,
    linkedBy: lead.identity && r.identity === lead.identity ? 'identity' : 'visitor_id',
  }));
}

/**
 * Whether a transition raises `returning_lead`, exactly once per session: a returning visitor (linked at
 * the start) who was SQL before fires it as the session opens; one who was not fires it on becoming SQL.
 */
export function returningLead(
  before: Pick<LeadRow, 'returningFrom' | 'returningSql' | 'qualifiedAt'>,
  after: Pick<LeadRow, 'qualifiedAt'>,
  isNew: boolean,
): boolean {
  if (!before.returningFrom) return false;
  if (before.returningSql) return isNew;
  return !before.qualifiedAt && after.qualifiedAt !== null;
}
