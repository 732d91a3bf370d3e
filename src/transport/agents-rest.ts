import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOf, principalName } from '../agents/auth.js';
import type { AgentTokens } from '../agents/tokens.js';
import { agentRoles } from '../agents/tokens.js';
import { leadsCsv } from '../leads/csv.js';
import { COUNT_CAP } from '../leads/cursor.js';
import type { LeadPageRequest, LeadSelection, Leads } from '../leads/service.js';
import type { CustomField } from '../workflow/fields.js';
import { principalOf } from './principal.js';
import { errorResponses } from './responses.js';
import {
  bearerAuth,
  classification,
  listBounds,
  pageNumber,
  pageSize,
  sessionParams,
  text,
} from './schemas.js';

export interface AgentsRestDeps {
  tokens: AgentTokens;
  leads: Leads;
  /** Erases a lead (the engine's write path, so a cached conversation is dropped too). */
  erase: (sessionId: string, by: string) => Promise<void>;
  /** The active workflow's custom fields: a CSV column each. */
  customFields?: readonly CustomField[];
}

const leadsFilter = z.strictObject({
  classification: classification.optional(),
  state: text().max(32).optional(),
  utm_source: text().max(200).optional().describe("The first touch's utm_source."),
  utm_medium: text().max(200).optional().describe("The first touch's utm_medium."),
  utm_campaign: text().max(200).optional().describe("The first touch's utm_campaign."),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601).'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601).'),
});
const leadsQuery = leadsFilter
  .extend({
    page: pageNumber.default(1),
    page_size: pageSize.optional(),
    per_page: pageSize.optional().describe('The old name of page_size (default 50).'),
    cursor: z
      .string()
      .max(2000)
      .optional()
      .describe('The next_cursor of the page before: a keyset page, as fast at any depth (page stays 1).'),
    sort: z.enum(['score', 'time']).default('score'),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .transform(({ per_page, page_size, ...q }) => ({ ...q, page_size: page_size ?? per_page ?? 50 }))
  // The database reads and drops every row it skips: a deep page costs as much as reading them all.
  .refine((q) => (q.page - 1) * q.page_size <= listBounds.maxOffset, {
    path: ['page'],
    message: `at most ${listBounds.maxOffset} leads may be skipped ((page - 1) × page_size); follow next_cursor (the x-next-cursor header on the v1 lists), or read them all from /api/leads/export`,
  })
  .refine((q) => q.cursor === undefined || q.page === 1, {
    path: ['page'],
    message: 'a cursor says where the page starts; send it without page',
  });

const selectionOf = (q: z.output<typeof leadsFilter>): LeadSelection => ({
  classification: q.classification,
  state: q.state,
  utmSource: q.utm_source,
  utmMedium: q.utm_medium,
  utmCampaign: q.utm_campaign,
  from: q.from ? new Date(q.from) : undefined,
  to: q.to ? new Date(q.to) : undefined,
});
const pageOf = (q: z.output<typeof leadsQuery>): LeadPageRequest => ({
  ...selectionOf(q),
  sort: q.sort,
  order: q.order,
  page: q.page,
  pageSize: q.page_size,
  cursor: q.cursor,
});

const authErrors = errorResponses(401, 403, 422);

/** REST for agents and machine clients: lead lists and token minting. Every route authenticates. */
export function registerAgentRoutes(
  server: FastifyInstance,
  { tokens, leads, erase, customFields = [] }: AgentsRestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['agents'];

  app.get(
    '/api/leads',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary:
          'Leads by classification, state, first-touch utm_source/utm_medium/utm_campaign and date range; paginated; by score or time',
        querystring: leadsQuery,
        response: {
          200: z.object({
            leads: z.array(z.record(z.string(), z.unknown())),
            total: z.number().describe(`Exact up to ${COUNT_CAP}; beyond, an estimate (total_is_estimate).`),
            total_is_estimate: z.boolean(),
            total_capped_at: z.number().describe('Where counting stops and estimating starts.'),
            next_cursor: z
              .string()
              .nullable()
              .describe('The next page: send it as cursor; null on the last.'),
            page: z.number(),
            page_size: z.number(),
          }),
          ...authErrors,
        },
      },
    },
    async (req) => {
      const page = await leads.page(pageOf(req.query));
      return {
        leads: page.leads,
        total: page.total,
        total_is_estimate: page.totalIsEstimate,
        total_capped_at: COUNT_CAP,
        next_cursor: page.nextCursor,
        page: req.query.page,
        page_size: req.query.page_size,
      };
    },
  );

  // The seed's two dashboard calls answer the same list.
  for (const path of ['/api/leads/list', '/api/leads/dashboard']) {
    app.get(
      path,
      {
        schema: {
          tags,
          security: bearerAuth,
          summary:
            "The seed's lead list for its dashboard: { leads, count }; headers x-count-is-estimate and x-next-cursor",
          querystring: leadsQuery,
          response: {
            200: z.object({ leads: z.array(z.record(z.string(), z.unknown())), count: z.number() }),
            ...authErrors,
          },
        },
      },
      async (req, reply) => {
        const page = await leads.page(pageOf(req.query));
        // The seed's body exactly; whether the count is an estimate and the next page go in headers.
        void reply.header('x-count-is-estimate', String(page.totalIsEstimate));
        if (page.nextCursor) void reply.header('x-next-cursor', page.nextCursor);
        return { leads: page.leads, count: page.total };
      },
    );
  }

  app.get(
    '/api/leads/export',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Every matching lead in CRM format, streamed as CSV or NDJSON',
        querystring: leadsFilter.extend({ format: z.enum(['csv', 'ndjson']).default('csv') }),
      },
    },
    async (req, reply) => {
      const { format, ...q } = req.query;
      const rows = Readable.from(leads.export(selectionOf(q)));
      const stamp = new Date().toISOString().slice(0, 10);
      void reply.header('content-disposition', `attachment; filename="leads-${stamp}.${format}"`);
      if (format === 'ndjson') {
        const lines = rows.map((r: unknown) => `${JSON.stringify(r)}\n`);
        return reply.type('application/x-ndjson; charset=utf-8').send(lines);
      }
      return reply.type('text/csv; charset=utf-8').send(rows.pipe(leadsCsv(customFields)));
    },
  );

  app.delete(
    '/api/lead/:session_id',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: "Erase a lead's personal data everywhere (an anonymous tombstone stays for counts)",
        params: sessionParams,
        response: {
          200: z.object({ session_id: z.string(), erased: z.literal(true), erased_by: z.string() }),
          ...errorResponses(401, 403, 404, 422),
        },
      },
    },
    async (req) => {
      const by = principalName(principalOf(req));
      await erase(req.params.session_id, by);
      return { session_id: req.params.session_id, erased: true as const, erased_by: by };
    },
  );

  app.post(
    '/api/agents/token',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Mint an agent token (admins only)',
        body: z.strictObject({
          name: text().trim().min(1).max(200),
          id: text().trim().min(1).max(200).optional(),
          role: z.enum(agentRoles).default('agent'),
          ttl: z
            .string()
            .regex(/^\d+[smhd]$/, 'like 30m, 12h or 7d')
            .superRefine((ttl, ctx) => {
              const problem = /^\d+[smhd]$/.test(ttl) ? tokens.ttlProblem(ttl) : undefined;
              if (problem) ctx.addIssue({ code: 'custom', message: problem });
            })
            .default('12h'),
        }),
        response: { 200: z.object({ token: z.string(), expires_at: z.string() }), ...authErrors },
      },
    },
    async (req) => {
      adminOf(principalOf(req));
      const { name, role, ttl } = req.body;
      const id = req.body.id ?? name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const token = await tokens.sign({ id, name, role }, ttl);
      const agent = await tokens.verify(token);
      return { token, expires_at: new Date(agent.expiresAt * 1000).toISOString() };
    },
  );
}
