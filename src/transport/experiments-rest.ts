import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Experiments } from '../experiments/service.js';
import { errorResponses, responses } from './responses.js';
import { bearerAuth, type Schemas, testName, testParams } from './schemas.js';

export interface ExperimentsRestDeps {
  experiments: Experiments;
  schemas: Schemas;
}

const errors = errorResponses(401, 404, 422);
/** The experiment the later version's variant call was fixed to. */
const GREETING_TEST = 'greeting_message';

/**
 * The earlier service's A/B endpoints, of both its versions: a session's variant, conversions, and
 * (authenticated) results.
 */
export function registerExperimentRoutes(
  server: FastifyInstance,
  { experiments, schemas }: ExperimentsRestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['experiments'];

  app.post(
    '/api/ab-test/variant/:test_name',
    {
      schema: {
        tags,
        summary: "The session's variant (assigned at session start) and its config",
        params: testParams,
        body: schemas.variantBody,
        response: { 200: responses.variant, ...errors },
      },
    },
    async (req) => experiments.variant(req.body.session_id, req.params.test_name),
  );

  app.post(
    '/api/ab-test/variant',
    {
      schema: {
        tags,
        summary:
          "The later form of the variant call: the test in the body, greeting_message when left out; the session's variant and its config",
        body: schemas.laterVariantBody,
        response: { 200: responses.variant, ...errors },
      },
    },
    async (req) => experiments.variant(req.body.session_id, req.body.test_name ?? GREETING_TEST),
  );

  app.post(
    '/api/ab-test/conversion',
    {
      schema: {
        tags,
        summary: 'Record a conversion; the variant comes from the assignment, not the client',
        body: schemas.conversionBody,
        response: {
          200: z.object({
            message: z.string(),
            test_name: z.string(),
            variant: z.string(),
            conversion_type: z.string(),
            recorded: z.boolean(),
          }),
          ...errors,
        },
      },
    },
    async (req) =>
      experiments.convert(
        req.body.session_id,
        req.body.test_name,
        req.body.conversion_type,
        req.body.conversion_value ?? null,
        req.body.variant ?? null,
      ),
  );

  app.get(
    '/api/ab-test/results',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary:
          'Per variant: sessions, conversion rates with 95 % Wilson intervals, z-test p-values against the control',
        querystring: z.strictObject({ test_name: testName }),
        response: { 200: z.record(z.string(), z.unknown()), ...errors },
      },
    },
    async (req) => experiments.results(req.query.test_name),
  );
}
