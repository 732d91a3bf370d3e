import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WorkflowRegistry } from '../workflow/registry.js';
import { principalOf } from './principal.js';
import { errorResponses } from './responses.js';
import { bearerAuth } from './schemas.js';

export interface WorkflowRestDeps {
  workflows: Pick<WorkflowRegistry, 'describe'>;
}

const workflowAnswer = z.object({
  /** The active version: the checksum that names it. */
  version: z.string(),
  /** `sha256:` + the hex SHA-256 of the RFC 8785 canonical JSON of `definition` (= `version`). */
  checksum: z.string(),
  name: z.string(),
  /** When a node first ran this version. */
  created_at: z.string(),
  /** The workflow as the server runs it (defaults filled in). */
  definition: z.record(z.string(), z.unknown()),
  /** Versions that sessions still in a conversation run on, most used first, with how many. */
  in_use: z.array(z.object({ version: z.string(), sessions: z.number().int(), active: z.boolean() })),
});

/** The workflow new sessions start on, and the versions conversations in flight still run on (authenticated). */
export function registerWorkflowRoutes(server: FastifyInstance, { workflows }: WorkflowRestDeps): void {
  server.withTypeProvider<ZodTypeProvider>().get(
    '/api/workflow',
    {
      schema: {
        tags: ['workflow'],
        security: bearerAuth,
        summary:
          'The active workflow (version, checksum, name, definition) and the versions open sessions still run on',
        response: { 200: workflowAnswer, ...errorResponses(401) },
      },
    },
    async (req) => {
      principalOf(req);
      const { active, inUse } = await workflows.describe();
      return {
        version: active.version,
        checksum: `sha256:${active.version}`,
        name: active.name,
        created_at: active.createdAt.toISOString(),
        definition: active.definition as Record<string, unknown>,
        in_use: inUse.map((u) => ({ ...u, active: u.version === active.version })),
      };
    },
  );
}
