/**
 * Moments sales wants to hear of, each at most once per lead (they follow once-rules or first times);
 * `abandoned_with_contact`: the session went idle (or the visitor left) before a CTA, contact details given;
 * `returning_lead`: a returning visitor who was SQL before (at the session's start) or becomes SQL now.
 */
export const triggers = [
  'sql',
  'demo_requested',
  'contact_shared',
  'completed',
  'human_help',
  'abandoned_with_contact',
  'returning_lead',
] as const;
export type Trigger = (typeof triggers)[number];

/** Where notifications can go; `hubspot` and `odoo` push the lead to a CRM (src/crm). */
export const notificationChannels = [
  'email',
  'slack',
  'discord',
  'teams',
  'webhook',
  'hubspot',
  'odoo',
] as const;

/** Triggers that count as experiment conversions by themselves, for every test the lead takes part in. */
export const conversionTriggers = [
  'demo_requested',
  'contact_shared',
  'sql',
  'completed',
] as const satisfies readonly Trigger[];

/**
 * What routing announces (src/routing): a lead given to an agent (stored per agent as `assigned:<id>`,
 * so each agent is told once), handed to the team's escalation, or left without a response past the SLA;
 * `callback_requested`: after hours, the visitor asked to be called back at a time of the next opening.
 */
export const routingTriggers = ['assigned', 'escalated', 'sla_breached', 'callback_requested'] as const;
export type RoutingTrigger = (typeof routingTriggers)[number];
