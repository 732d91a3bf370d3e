import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { notificationChannels, triggers } from '../conversation/triggers.js';
import type { LeadRow } from '../persistence/rows.js';
import { classifications } from '../scoring/classification.js';
import { hoursSchema } from './hours.js';

/**
 * The routing file (ROUTING_FILE): teams of agents, the rules that send a lead to a team, when a lead
 * is routed, and each agent's capacity. Data, validated once at start-up, like the workflow.
 */

const name = z
  .string()
  .regex(/^[a-z0-9_-]+$/, 'lower-case letters, digits, - and _ only')
  .min(1)
  .max(100);
/** Agents are named by their token's subject. */
const agentId = z.string().trim().min(1).max(200);
const values = z.array(z.string().trim().min(1).max(200)).min(1).max(100);

const matchSchema = z
  .strictObject({
    classification: z.array(z.enum(classifications)).min(1).optional(),
    minScore: z.number().int().optional(),
    maxScore: z.number().int().optional(),
    /** The first touch's campaign fields, compared without regard to case. */
    utmSource: values.optional(),
    utmMedium: values.optional(),
    utmCampaign: values.optional(),
    businessType: values.optional(),
    /** Language tags: `hi` matches `hi` and `hi-IN`. */
    locale: values.optional(),
    /** The page the visitor is on: a path (`/pricing` matches `/pricing` and `/pricing/…`) or a URL prefix. */
    page: values.optional(),
  })
  .refine((m) => m.minScore === undefined || m.maxScore === undefined || m.minScore <= m.maxScore, {
    message: 'minScore must not exceed maxScore',
    path: ['maxScore'],
  });
export type RoutingMatch = z.infer<typeof matchSchema>;

const teamSchema = z.strictObject({
  name,
  /** Agent ids, or `*`: every agent. */
  agents: z.union([z.literal('*'), z.array(agentId).min(1)]).default('*'),
  /** Where the team's leads go when every agent let them wait: the named channels (default: every one). */
  escalation: z
    .strictObject({ channels: z.array(z.enum(notificationChannels)).min(1).optional() })
    .default({}),
  /** When the team is open (time zone, weekly schedule, holidays); without it, always. */
  hours: hoursSchema.optional(),
});

export const routingSchema = z
  .strictObject({
    /** A lead is routed the first time it reaches one of these. */
    triggers: z.array(z.enum(triggers)).min(1).default(['sql', 'human_help']),
    teams: z.array(teamSchema).min(1),
    /** First match wins; a lead no rule matches goes to `defaultTeam`. */
    rules: z.array(z.strictObject({ team: name, match: matchSchema })).default([]),
    defaultTeam: name,
    /** Leads an agent may own at once (assigned and not yet marked contacted). */
    maxActive: z.number().int().min(1).max(1000).default(5),
    /** Per agent id: a capacity of their own. */
    agents: z.record(agentId, z.strictObject({ maxActive: z.number().int().min(1).max(1000) })).default({}),
  })
  .superRefine((r, ctx) => {
    const teams = new Set<string>();
    r.teams.forEach((t, i) => {
      if (teams.has(t.name))
        ctx.addIssue({ code: 'custom', message: `team "${t.name}" is defined twice`, path: ['teams', i] });
      teams.add(t.name);
    });
    const unknown = (team: string, path: (string | number)[]) => {
      if (!teams.has(team)) ctx.addIssue({ code: 'custom', message: `no team "${team}"`, path });
    };
    unknown(r.defaultTeam, ['defaultTeam']);
    r.rules.forEach((rule, i) => {
      unknown(rule.team, ['rules', i, 'team']);
    });
  });
export type Routing = z.infer<typeof routingSchema>;
export type Team = Routing['teams'][number];

/** Without a file: one team, `sales`, of every agent; leads are routed when they become SQL or ask for a person. */
export const defaultRouting: z.input<typeof routingSchema> = {
  triggers: ['sql', 'human_help'],
  teams: [{ name: 'sales', agents: '*' }],
  defaultTeam: 'sales',
};

export class RoutingError extends Error {
  override name = 'RoutingError';
}

/** Validates a routing object; the error names `source` and every bad path. */
export function parseRouting(input: unknown, source = 'routing'): Routing {
  const result = routingSchema.safeParse(input);
  if (!result.success)
    throw new RoutingError(`${source} is not a valid routing file:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** The routing from `file` (JSON) or the default. */
export function loadRouting(file?: string): Routing {
  if (!file) return parseRouting(defaultRouting, 'the built-in routing');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RoutingError(`ROUTING_FILE ${file} could not be read as JSON: ${(err as Error).message}`);
  }
  return parseRouting(raw, `ROUTING_FILE ${file}`);
}

const among = (list: readonly string[] | undefined, value: string | null | undefined) =>
  list === undefined || (value != null && list.some((v) => v.toLowerCase() === value.toLowerCase()));

function onPage(pages: readonly string[] | undefined, url: string | null | undefined): boolean {
  if (pages === undefined) return true;
  if (url == null) return false;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // already a path
  }
  return pages.some((p) =>
    p.startsWith('/') ? path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) : url.startsWith(p),
  );
}

/** Whether a lead meets every condition of a match. */
export function matches(match: RoutingMatch, lead: LeadRow): boolean {
  const locale = lead.locale?.toLowerCase() ?? null;
  return (
    (match.classification === undefined || match.classification.includes(lead.classification)) &&
    (match.minScore === undefined || lead.score >= match.minScore) &&
    (match.maxScore === undefined || lead.score <= match.maxScore) &&
    among(match.utmSource, lead.utmSource) &&
    among(match.utmMedium, lead.utmMedium) &&
    among(match.utmCampaign, lead.utmCampaign) &&
    among(match.businessType, lead.businessType) &&
    (match.locale === undefined ||
      (locale !== null &&
        match.locale.some((l) => locale === l.toLowerCase() || locale.startsWith(`${l.toLowerCase()}-`)))) &&
    onPage(match.page, lead.currentPage)
  );
}

/** The team a lead goes to: the first rule it matches, else the default team. */
export function teamFor(routing: Routing, lead: LeadRow): Team {
  const rule = routing.rules.find((r) => matches(r.match, lead));
  const teamName = rule?.team ?? routing.defaultTeam;
  return routing.teams.find((t) => t.name === teamName)!;
}

/** Whether an agent belongs to a team. */
export const isMember = (team: Team, agentId: string) => team.agents === '*' || team.agents.includes(agentId);

/** An agent's capacity. */
export const capacityOf = (routing: Routing, agentId: string) =>
  routing.agents[agentId]?.maxActive ?? routing.maxActive;
