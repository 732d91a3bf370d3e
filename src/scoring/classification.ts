import type { Workflow } from '../workflow/schema.js';

/** How qualified a lead is, best first. */
export const classifications = ['SQL', 'MQL', 'Unqualified'] as const;
export type Classification = (typeof classifications)[number];

/** SQL at or above the SQL threshold, MQL at or above the MQL threshold, Unqualified below. */
export function classify(score: number, thresholds: Workflow['thresholds']): Classification {
  if (score >= thresholds.sql) return 'SQL';
  if (score >= thresholds.mql) return 'MQL';
  return 'Unqualified';
}
