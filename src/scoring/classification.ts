import type { Workflow } from '../workflow/schema.js';
import type { ScoreParts } from './answer-values.js';

/** How qualified a lead is, best first. */
export const classifications = ['SQL', 'MQL', 'Unqualified'] as const;
export type Classification = (typeof classifications)[number];

/**
 * SQL at or above the SQL threshold, MQL at or above the MQL threshold, Unqualified below. Thresholds
 * are on the total; when the workflow also sets `fit` or `engagement` thresholds for a class, the lead
 * must meet those too (a lead short of the SQL fit may still be MQL).
 */
export function classify(
  score: number,
  thresholds: Workflow['thresholds'],
  parts: ScoreParts,
): Classification {
  const meets = (level: 'sql' | 'mql') => {
    if (score < thresholds[level]) return false;
    const fit = thresholds.fit?.[level];
    const engagement = thresholds.engagement?.[level];
    return (
      (fit === undefined || parts.fit >= fit) && (engagement === undefined || parts.engagement >= engagement)
    );
  };
  if (meets('sql')) return 'SQL';
  if (meets('mql')) return 'MQL';
  return 'Unqualified';
}
