import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/**
 * What a lead is in a CRM it is pushed to (src/crm): the CRM's id of each of its records, by kind
 * (`contact`, `note`, `deal`, `lead`), and the `lease` row that lets one sync of the lead run at a time.
 */
export const CrmLink = defineEntity({
  name: 'CrmLink',
  tableName: 'crm_links',
  properties: {
    lead: () => p.manyToOne(Lead).primary().deleteRule('cascade'),
    crm: p.string().length(16).primary(),
    kind: p.string().length(16).primary(),
    externalId: p.string().length(64).nullable(),
    /** The lease's expiry (kind `lease`): a dead node's sync is over when it has passed. */
    lockedUntil: p.datetime().nullable(),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});
