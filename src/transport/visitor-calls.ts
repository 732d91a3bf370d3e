import type { FastifyRequest } from 'fastify';
import type { VisitorCommand } from '../conversation/commands.js';
import type { ConversationEngine } from '../conversation/engine.js';
import type { EventResult } from '../conversation/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Schemas } from './schemas.js';
import { parseWith } from './validation.js';

/** Points an event earned (or cost), all awards together. */
export const gained = (r: EventResult): number => r.awarded.reduce((sum, a) => sum + a.points, 0);

/** The seed's answer body (both versions' answer calls) as the visitor command it is. */
export function answerCommand(body: {
  question_id: number;
  answer_text: string;
  time_taken?: number | undefined;
}): VisitorCommand {
  return {
    kind: 'answer',
    questionId: body.question_id,
    text: body.answer_text,
    ...(body.time_taken === undefined ? {} : { timeTaken: body.time_taken }),
  };
}

/**
 * How the visitor's REST calls reach the engine, whichever version of the API they come from: an
 * `Idempotency-Key` header plays the part of the socket's clientMessageId, and every call is counted.
 */
export function visitorCalls({
  engine,
  schemas,
  metrics,
}: {
  engine: ConversationEngine;
  schemas: Schemas;
  metrics: Metrics;
}) {
  const idempotencyKey = (req: FastifyRequest) =>
    parseWith(schemas.idempotencyKey, req.headers['idempotency-key'], 'Idempotency-Key');
  return {
    run: (req: FastifyRequest, type: string, sessionId: string, command: VisitorCommand) =>
      metrics.track('rest', type, () => engine.handle(sessionId, command, idempotencyKey(req))),
    /** The answer call's reply: what the answer earned and the question the bot asks next. */
    answerReply: (r: EventResult) => ({
      message: r.duplicate ? 'Answer already recorded' : 'Answer recorded',
      score_earned: gained(r),
      lead_score: r.score,
      lead_type: r.classification,
      next_question: r.prompts.findLast((p) => p.input !== 'none') ?? null,
    }),
  };
}
