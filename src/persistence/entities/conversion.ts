import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/** A conversion of a lead in an experiment, counted for the variant the lead was assigned. */
export const Conversion = defineEntity({
  name: 'Conversion',
  tableName: 'experiment_conversions',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    testName: p.string().length(64),
    variant: p.string().length(64),
    /** The variant the client said the lead was in, when it said one: never trusted, a mismatch is counted. */
    reportedVariant: p.string().length(64).nullable(),
    conversionType: p.string().length(64),
    value: p.double().$type<number>().nullable(),
    at: p.datetime(),
  },
  uniques: [{ properties: ['lead', 'testName', 'conversionType'] }],
  indexes: [{ properties: ['testName', 'variant'] }],
});
