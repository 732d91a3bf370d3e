import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/** One row of the score ledger; a lead's score is always the sum of its rows. */
export const ScoreEntry = defineEntity({
  name: 'ScoreEntry',
  tableName: 'score_entries',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    behavior: p.string().length(64),
    points: p.integer(),
    /** The award's once-rule key; unique per lead, so no rule can fire twice even under a race. */
    onceKey: p.string().length(200),
    evidence: p.json<Record<string, unknown>>().default('{}'),
    /** Seq of the event that earned it. */
    eventSeq: p.integer(),
    at: p.datetime(),
  },
  uniques: [{ properties: ['lead', 'onceKey'] }],
});
