import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { crmExport } from '../leads/views.js';
import { breakdownEntry, type NotificationMessage, summaryHead } from '../notifications/message.js';

/**
 * What a lead's CRM records are made of: each CRM property or field named after the lead value it
 * takes. The defaults below; CRM_MAPPING_FILE (JSON, the same shape) replaces any entry, and `null`
 * drops one. A lead value is a CRM export key (`name`, `email`, `lead_score`, `lead_type`,
 * `fit_score`, `utm_campaign`, `assigned_to`, …), one of the extra keys of `leadValues`, or
 * `custom.<field>` for the workflow's own fields.
 */
export interface CrmMapping {
  hubspot: {
    contact: Record<string, string>;
    deal: Record<string, string>;
    /** Agent id → HubSpot owner id (`hubspot_owner_id` of the contact and the deal). */
    owners: Record<string, string>;
  };
  odoo: {
    lead: Record<string, string>;
    /** Classification → the name of the crm.tag the lead gets (the other classifications' tags are removed). */
    tags: Record<string, string>;
  };
}

export const DEFAULT_MAPPING: CrmMapping = {
  hubspot: {
    contact: {
      email: 'email',
      firstname: 'first_name',
      lastname: 'last_name',
      phone: 'phone',
      city: 'location',
      industry: 'business_type',
      lcb_session_id: 'session_id',
      lcb_lead_score: 'lead_score',
      lcb_classification: 'lead_type',
      lcb_fit_score: 'fit_score',
      lcb_engagement_score: 'engagement_score',
      lcb_staff_size: 'staff_size',
      lcb_monthly_sales: 'monthly_sales',
      lcb_features_interested: 'features_interested',
      lcb_utm_source: 'utm_source',
      lcb_utm_medium: 'utm_medium',
      lcb_utm_campaign: 'utm_campaign',
      lcb_owner: 'assigned_to',
    },
    deal: { dealname: 'title', lcb_lead_score: 'lead_score' },
    owners: {},
  },
  odoo: {
    lead: {
      name: 'title',
      contact_name: 'name',
      email_from: 'email',
      phone: 'phone',
      partner_name: 'custom.company',
      city: 'location',
      description: 'description',
    },
    tags: { SQL: 'SQL', MQL: 'MQL', Unqualified: 'Unqualified' },
  },
};

const fields = z.record(z.string().min(1), z.string().min(1).nullable());
const fileSchema = z.strictObject({
  hubspot: z
    .strictObject({ contact: fields, deal: fields, owners: z.record(z.string(), z.string()) })
    .partial()
    .optional(),
  odoo: z
    .strictObject({ lead: fields, tags: z.record(z.string(), z.string().min(1)) })
    .partial()
    .optional(),
});

const merged = (base: Record<string, string>, over: Record<string, string | null> | undefined) =>
  Object.fromEntries(
    Object.entries({ ...base, ...over }).filter((e): e is [string, string] => e[1] !== null),
  );

/** The mapping: the defaults, with the file's entries (if any) over them. Throws naming what is wrong. */
export function loadMapping(file: string | undefined): CrmMapping {
  if (!file) return DEFAULT_MAPPING;
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const { hubspot = {}, odoo = {} } = parsed.data;
  const d = DEFAULT_MAPPING;
  return {
    hubspot: {
      contact: merged(d.hubspot.contact, hubspot.contact),
      deal: merged(d.hubspot.deal, hubspot.deal),
      owners: { ...d.hubspot.owners, ...hubspot.owners },
    },
    odoo: { lead: merged(d.odoo.lead, odoo.lead), tags: { ...d.odoo.tags, ...odoo.tags } },
  };
}

export type LeadValue = string | number | null;

/** The reference that marks a lead's records in a CRM (found again by it after a crash). */
export const leadRef = (sessionId: string) => `lead-capture-bot:${sessionId}`;

/** What the CRM records show as text: the title, the profile, the score breakdown, the answers. */
export function summaryLines(m: NotificationMessage): string[] {
  return [
    ...summaryHead(m, (b) => breakdownEntry(b)),
    ...(m.transcript && m.transcript.answers.length > 0
      ? ['', 'Answers:', ...m.transcript.answers.map((a) => `${a.question} — ${a.answer}`)]
      : []),
    '',
    `Conversation: ${m.link}`,
    `Reference: ${leadRef(m.lead.id)}`,
  ];
}

/** Every value a mapping can name, for one lead as the message has it. */
export function leadValues(m: NotificationMessage): Record<string, LeadValue> {
  const { custom_fields, features_interested, ...e } = crmExport(m.lead);
  const [first, ...rest] = (e.name ?? '').trim().split(/\s+/);
  const values: Record<string, LeadValue> = {
    ...e,
    features_interested: features_interested.join('; ') || null,
    session_id: m.lead.id,
    first_name: first || null,
    last_name: rest.join(' ') || null,
    title: `${e.name ?? e.email ?? 'Visitor'}${e.business_type ? ` (${e.business_type})` : ''}`,
    trigger: m.trigger,
    console_url: m.link,
    owner_id: m.lead.assignedTo ?? null,
    description: summaryLines(m).join('\n'),
  };
  for (const [k, v] of Object.entries(custom_fields))
    values[`custom.${k}`] = Array.isArray(v) ? v.join('; ') : (v as LeadValue);
  return values;
}

/** The properties a mapping names, with the lead's values; unknown and empty values are left out. */
export function mapped(mapping: Record<string, string>, values: Record<string, LeadValue>) {
  const out: Record<string, string | number> = {};
  for (const [target, source] of Object.entries(mapping)) {
    const v = values[source];
    if (v !== null && v !== undefined && v !== '') out[target] = v;
  }
  return out;
}
