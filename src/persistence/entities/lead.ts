import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { Touch } from '../../leads/attribution.js';
import type { Classification } from '../../scoring/classification.js';
import type { CustomFieldValues } from '../../workflow/fields.js';

/**
 * A visitor's session and the lead it qualifies: profile, score, classification and the conversation
 * actor's snapshot. `version` guards every write: a commit names the version it read.
 */
export const Lead = defineEntity({
  name: 'Lead',
  tableName: 'leads',
  properties: {
    /** `sess_` + 128 random bits in hex; doubles as the visitor's secret. */
    id: p.string().length(40).primary(),
    name: p.string().length(200).nullable(),
    email: p.string().length(320).nullable(),
    phone: p.string().length(32).nullable(),
    businessType: p.string().length(200).nullable(),
    location: p.string().length(2000).nullable(),
    staffSize: p.string().length(200).nullable(),
    monthlySales: p.string().length(200).nullable(),
    featuresInterested: p.json<string[]>().default('[]'),
    /** Answers to the workflow's custom-field questions, by field name, typed (number, text, option ids). */
    customFields: p.json<CustomFieldValues>().default('{}'),
    /** The first touch's source, medium and campaign as columns, to filter and group leads by. */
    utmSource: p.string().length(200).nullable(),
    utmMedium: p.string().length(200).nullable(),
    utmCampaign: p.string().length(200).nullable(),
    /** Where the visitor came from when the session started (every attribution field it sent). */
    firstTouch: p.json<Touch>().nullable(),
    /** A returning visitor's latest arrival with new attribution, and when; null until there is one. */
    lastTouch: p.json<Touch>().nullable(),
    lastTouchAt: p.datetime().nullable(),
    locale: p.string().length(35).nullable(),
    /** Returning visitors: the widget's long-lived visitor id; the host site's verified user id. */
    visitorId: p.string().length(64).nullable().index(),
    identity: p.string().length(200).nullable().index(),
    /** The visitor's newest earlier lead when this one started; whether any of them was SQL. */
    returningFrom: p.string().length(40).nullable(),
    returningSql: p.boolean().default(false),
    /** The sum of the lead's ledger: `fitScore` + `engagementScore`. */
    score: p.integer().default(0),
    /** The part of the score that answer values (`answer_value` ledger rows) earned. */
    fitScore: p.integer().default(0),
    /** The part of the score that every other behaviour earned. */
    engagementScore: p.integer().default(0),
    classification: p.string().$type<Classification>().length(16).default('Unqualified'),
    state: p.string().length(32).index(),
    /** Experiment name → variant id, fixed at session start. */
    variants: p.json<Record<string, string>>().default('{}'),
    /** Profile question ids in the order this session asks them. */
    questionOrder: p.json<number[]>(),
    /** The workflow version (checksum, a row of `workflows`) the session started with and keeps. */
    workflowVersion: p.string().length(64).nullable(),
    snapshot: p.json<unknown>(),
    /** Seq of the last row in the session's event log. */
    lastSeq: p.integer().default(0),
    version: p.integer().default(1),
    humanHelp: p.boolean().default(false),
    /** The agent (token subject) holding the conversation, while one does. */
    takenOverBy: p.string().length(200).nullable(),
    /** Routing (src/routing): when the lead reached its trigger, its team, owner (agent id, name), since when. */
    routedAt: p.datetime().nullable().index(),
    assignedTeam: p.string().length(100).nullable(),
    assignedTo: p.string().length(200).nullable().index(),
    assignedName: p.string().length(200).nullable(),
    assignedAt: p.datetime().nullable(),
    /** The agents that owned it, in order: each gets it once before the team's escalation. */
    routingTried: p.json<string[]>().default('[]'),
    escalatedAt: p.datetime().nullable(),
    /** When an agent marked the visitor contacted; when its first response went over the SLA. */
    contactedAt: p.datetime().nullable(),
    slaBreachedAt: p.datetime().nullable(),
    /** After hours: when the visitor asked to be called back. */
    callbackAt: p.datetime().nullable(),
    /** The page the visitor reported last (`visitor:page`, /api/tracking/page-entry), as reported. */
    currentPage: p.string().length(2000).nullable(),
    /** Set when the lead's personal data was erased (the row stays, anonymous, for counts). */
    erasedAt: p.datetime().nullable(),
    erasedBy: p.string().length(200).nullable(),
    /** The door the session came in by: `web` (the widget, REST) or `whatsapp` (the Cloud API webhook). */
    channel: p.string().$type<'web' | 'whatsapp'>().length(16).default('web'),
    createdAt: p.datetime().index(),
    updatedAt: p.datetime(),
    lastActivityAt: p.datetime(),
    completedAt: p.datetime().nullable(),
    qualifiedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['state', 'lastActivityAt'] }, { properties: ['classification', 'createdAt'] }],
});

export type ILead = InferEntity<typeof Lead>;
