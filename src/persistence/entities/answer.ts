import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/** A lead's answer to one question; a later answer to the same question replaces it. */
export const Answer = defineEntity({
  name: 'Answer',
  tableName: 'answers',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    questionId: p.integer(),
    questionText: p.text(),
    answer: p.text(),
    optionIds: p.json<string[]>().default('[]'),
    /** Server-measured time from the question being put to the answer. */
    latencyMs: p.integer(),
    /** What the client said it took, if it said; kept apart and never scored. */
    clientTimeTaken: p.double().$type<number>().nullable(),
    /** Points the first answer earned (answered, quick, detailed). */
    points: p.integer().default(0),
    answeredAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  uniques: [{ properties: ['lead', 'questionId'] }],
});
