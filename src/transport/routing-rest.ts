import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOf, principalName } from '../agents/auth.js';
import { AppError } from '../errors.js';
import type { Router } from '../routing/router.js';
import { principalOf } from './principal.js';
import { errorResponses } from './responses.js';
import { bearerAuth, sessionParams, text } from './schemas.js';

export interface RoutingRestDeps {
  router: Router;
}

const owner = z.object({
  session_id: z.string(),
  assigned_to: z.string().nullable(),
  assigned_name: z.string().nullable(),
  team: z.string().nullable(),
});

/** Routing over REST: who is online with how many leads, an admin's reassignment, marking contacted. */
export function registerRoutingRoutes(server: FastifyInstance, deps: RoutingRestDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['routing'];

  app.get(
    '/api/routing/agents',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'The agents online or away on any node, with their active leads and capacity',
        response: {
          200: z.object({
            agents: z.array(
              z.object({
                agent_id: z.string(),
                name: z.string(),
                status: z.enum(['online', 'away']),
                active: z.number(),
                max_active: z.number(),
              }),
            ),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (req) => {
      principalOf(req);
      const roster = await deps.router.roster();
      return {
        agents: roster.map((a) => ({
          agent_id: a.agentId,
          name: a.name,
          status: a.status,
          active: a.active,
          max_active: a.maxActive,
        })),
      };
    },
  );

  app.post(
    '/api/lead/:session_id/assign',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Give the lead to an agent (admins only); the reassignment timer starts again',
        params: sessionParams,
        body: z.strictObject({
          agent_id: text().trim().min(1).max(200),
          name: text()
            .trim()
            .min(1)
            .max(200)
            .optional()
            .describe('Default: the name the agent is online with.'),
        }),
        response: { 200: owner, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req) => {
      const by = principalName({ kind: 'agent', agent: adminOf(principalOf(req)) });
      const { agent_id, name } = req.body;
      const lead = await deps.router.reassign(
        req.params.session_id,
        { agentId: agent_id, ...(name ? { name } : {}) },
        by,
      );
      if (!lead) throw new AppError('session_not_found');
      return {
        session_id: lead.id,
        assigned_to: lead.assignedTo ?? null,
        assigned_name: lead.assignedName ?? null,
        team: lead.assignedTeam ?? null,
      };
    },
  );

  app.post(
    '/api/lead/:session_id/contacted',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary:
          'An agent marks the visitor contacted (a response to the lead; it leaves their active leads)',
        params: sessionParams,
        response: {
          200: z.object({ session_id: z.string(), contacted_at: z.string() }),
          ...errorResponses(401, 403, 404, 422),
        },
      },
    },
    async (req) => {
      const principal = principalOf(req);
      if (principal.kind !== 'agent')
        throw new AppError('forbidden', 'Only an agent may mark a lead contacted.');
      const { id, name } = principal.agent;
      const at = await deps.router.contacted(req.params.session_id, { agentId: id, name });
      return { session_id: req.params.session_id, contacted_at: at.toISOString() };
    },
  );
}
